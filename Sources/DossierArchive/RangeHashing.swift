import Dispatch
import DossierSystem
import Foundation
import Synchronization

/// Hashes byte ranges of one open file, sharing the work with helper threads while the caller
/// goes on walking the tar headers. An archive's documents are independent, so verifying uses
/// every core where `openssl dgst` uses one.
///
/// A range goes to an idle helper when there is one and is hashed on the caller's thread
/// otherwise, so the caller never waits for a helper to start, and however many archives are
/// verified at once the helpers add only one thread fewer than the cores. Each range is read
/// through one pooled buffer: memory is bounded whatever the archive's size. Submit from one
/// thread; `finish()` waits for the helpers.
final class RangeHashing {
    /// What one range gave.
    struct Result: Sendable {
        var digest: [UInt8] = []
        /// First `DocumentSample.headLength` and last `tailLength` bytes, when sampled.
        var head: [UInt8] = []
        var tail: [UInt8] = []
        /// The file ended inside the range (it shrank while being read).
        var short = false
        var failure: SystemError?
    }

    private static let helpers = Helpers(count: max(1, ProcessInfo.processInfo.activeProcessorCount - 1))

    private let fd: Int32
    private let path: String
    private let group = DispatchGroup()
    private let results = Results()
    private var submitted = 0

    /// Reads `fd` (not closed here, must stay open until `finish`); `path` names it in errors.
    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Hashes `length` bytes at `offset` in `algorithm`, on a helper or else before returning;
    /// returns the range's index in `finish()`'s results.
    func submit(offset: UInt64, length: UInt64, sampled: Bool, algorithm: DigestAlgorithm) -> Int {
        let index = submitted
        submitted += 1
        let work: @Sendable () -> Void = { [fd, path, results] in
            results.store(index, Self.hash(fd: fd, path: path, offset: offset, length: length, sampled: sampled, algorithm: algorithm))
        }
        if let helper = Self.helpers.takeIdle() {
            helper.queue.async(group: group) {
                work()
                Self.helpers.release(helper.index)
            }
        } else {
            work()
        }
        return index
    }

    /// Waits for every submitted range; results in submission order.
    func finish() -> [Result] {
        group.wait()
        return results.all(count: submitted)
    }

    private static func hash(
        fd: Int32, path: String, offset: UInt64, length: UInt64, sampled: Bool, algorithm: DigestAlgorithm
    ) -> Result {
        let buffer = BufferPool.shared.take()
        defer { BufferPool.shared.give(buffer) }
        let hash = MessageDigest(algorithm)
        var sampler = sampled ? DocumentSampler(size: length) : nil
        var result = Result()
        var done: UInt64 = 0
        while done < length, let base = buffer.baseAddress {
            let n = pread(fd, base, Int(min(UInt64(buffer.count), length - done)), off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                result.failure = .last(.read, path: path)
                return result
            }
            if n == 0 {
                result.short = true
                return result
            }
            let chunk = UnsafeRawBufferPointer(start: base, count: n)
            hash.update(chunk)
            sampler?.add(chunk)
            done += UInt64(n)
        }
        result.digest = hash.finish()
        result.head = sampler?.head ?? []
        result.tail = sampler?.tail ?? []
        return result
    }
}

/// Results as the workers store them.
private final class Results: Sendable {
    private let byIndex = Mutex<[Int: RangeHashing.Result]>([:])

    func store(_ index: Int, _ result: RangeHashing.Result) {
        byIndex.withLock { $0[index] = result }
    }

    func all(count: Int) -> [RangeHashing.Result] {
        byIndex.withLock { (byIndex) in (0..<count).map { byIndex[$0] ?? RangeHashing.Result(short: true) } }
    }
}

/// The process's hashing helpers: one serial queue each. Serial queues get threads of their
/// own; the global concurrent queue shares the threads of Swift's cooperative pool, where a
/// verifier blocking its caller would leave one thread on a two-core machine.
private final class Helpers: Sendable {
    private let queues: [DispatchQueue]
    private let idle: Mutex<[Int]>

    init(count: Int) {
        queues = (0..<count).map { DispatchQueue(label: "dossier.range-hashing.\($0)") }
        idle = Mutex(Array(0..<count))
    }

    func takeIdle() -> (index: Int, queue: DispatchQueue)? {
        idle.withLock { $0.popLast() }.map { ($0, queues[$0]) }
    }

    func release(_ index: Int) { idle.withLock { $0.append(index) } }
}
