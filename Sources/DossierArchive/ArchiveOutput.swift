import Dispatch
import DossierSystem
import Foundation
import Synchronization

/// The byte stream of an archive being written: buffered, then hashed (SHA-256 of the whole
/// archive) on one queue and written to a `DurableFile` on another, so that packing reads and
/// hashes documents on one core while the archive digest runs on the other, and the write (which
/// mostly waits for the device) overlaps both.
///
/// Memory is bounded: sixteen 256 KiB buffers, whatever the archive size. Producer-side methods
/// must be called from one thread at a time.
///
/// `@unchecked Sendable`, safe to share with the queues: a buffer belongs either to the producer
/// (`current`) or, once submitted, to the queues until it is handed back through `shared.free`;
/// `hash` is touched only on `hashQueue` and `file` only on `writeQueue` until `commit` has
/// drained both; everything else the queues and the producer share is in `shared`, a Mutex.
final class ArchiveOutput: @unchecked Sendable {
    static let bufferSize = BufferPool.bufferSize
    private static let bufferCount = 16

    private let file: DurableFile
    private let hash = SHA256()
    private let hashQueue = DispatchQueue(label: "dossier.archive-digest")
    private let writeQueue = DispatchQueue(label: "dossier.archive-write")
    private let slots = DispatchSemaphore(value: bufferCount - 1)
    private struct Shared {
        var free: [UnsafeMutableRawBufferPointer] = []
        var failure: (any Error)?
        /// Digested chunks waiting for the writer, and whether a writer block is on its way.
        var unwritten: [Chunk] = []
        var writerRunning = false
    }

    private let shared: Mutex<Shared>
    private var all: [UnsafeMutableRawBufferPointer] = []
    private var current: UnsafeMutableRawBufferPointer
    private var filled = 0
    /// Bytes accepted so far.
    private(set) var count: UInt64 = 0

    init(file: DurableFile) {
        self.file = file
        for _ in 0..<Self.bufferCount {
            all.append(BufferPool.shared.take())
        }
        current = all[0]
        shared = Mutex(Shared(free: Array(all.dropFirst())))
    }

    deinit {
        // Every block on the queues holds `self`, so by now none is pending. (Syncing here would
        // crash when the last block is what releases us, on the queue itself — as after a
        // write failed with a full disk.)
        all.forEach(BufferPool.shared.give)
    }

    /// Appends bytes (headers, tag files, padding).
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = min(bytes.count - offset, Self.bufferSize - filled)
            UnsafeMutableRawBufferPointer(rebasing: current[filled..<(filled + n)])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
            filled += n
            offset += n
            count += UInt64(n)
            if filled == Self.bufferSize { try submit() }
        }
    }

    /// Appends bytes.
    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { (raw) in try append(raw) }
    }

    /// Lets `fill` write directly into the free part of the current buffer (at most `limit`
    /// bytes), avoiding a copy for document data. `fill` returns how many bytes it wrote.
    func fillDirectly(
        limit: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Int
    ) throws -> Int {
        if filled == Self.bufferSize { try submit() }
        let room = min(limit, Self.bufferSize - filled)
        let n = try fill(UnsafeMutableRawBufferPointer(rebasing: current[filled..<(filled + room)]))
        filled += n
        count += UInt64(n)
        return n
    }

    /// Appends zero bytes up to the next 512-byte boundary.
    func padToBlock() throws {
        let rest = Int(TarFormat.padded(count) - count)
        if rest > 0 { try append([UInt8](repeating: 0, count: rest)) }
    }

    /// Writes what is buffered, makes the file durable under its final name (the name too
    /// unless not `syncingDirectory`: `DurableFile.commit`) and returns the archive's SHA-256.
    func commit(syncingDirectory: Bool) throws -> [UInt8] {
        try submit()
        drain()
        if let failed = shared.withLock({ $0.failure }) { throw failed }
        try file.commit(syncingDirectory: syncingDirectory)
        return hash.finish()
    }

    /// Waits until neither queue holds a block. A packer that gives up calls it before letting
    /// go, so that the temporary file is gone (`DurableFile`'s deinit) when its error is thrown.
    func drain() {
        hashQueue.sync {}
        writeQueue.sync {}
    }

    private func submit() throws {
        guard filled > 0 else { return }
        let chunk = Chunk(buffer: current, count: filled)
        hashQueue.async { [self] in
            hash.update(chunk.bytes)
            let startWriter = shared.withLock { shared -> Bool in
                shared.unwritten.append(chunk)
                defer { shared.writerRunning = true }
                return !shared.writerRunning
            }
            if startWriter { writeQueue.async { [self] in writeUnwritten() } }
        }
        slots.wait()
        current = shared.withLock { $0.free.removeLast() }
        filled = 0
        if let failed = shared.withLock({ $0.failure }) { throw failed }
    }

    /// Writes whatever the digest has passed, in one call while the device is busy with the
    /// last: with direct I/O a write waits for the device, so larger writes go faster (a 256 KiB
    /// write at a time ran at half the speed of 1 MiB here).
    private func writeUnwritten() {
        while true {
            let batch = shared.withLock { shared -> [Chunk] in
                defer { shared.unwritten.removeAll() }
                if shared.unwritten.isEmpty { shared.writerRunning = false }
                return shared.unwritten
            }
            if batch.isEmpty { return }
            if !shared.withLock({ $0.failure != nil }) {
                do { try file.write(batch.map(\.bytes)) } catch { shared.withLock { $0.failure = error } }
            }
            shared.withLock { $0.free += batch.map(\.buffer) }
            batch.forEach { _ in slots.signal() }
        }
    }
}

/// A filled buffer on its way to the writer queue. `@unchecked Sendable` is safe: ownership of
/// the buffer passes to the queue with the chunk, and nothing else touches it meanwhile (see
/// ArchiveOutput).
private struct Chunk: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    let count: Int

    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: buffer[0..<count]) }
}
