import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Counts the files named `*<suffix>` that arrive in one folder (created there, or renamed
/// into it as `DurableFile` does), told by `inotify(7)`.
///
/// Why not list the folder every few milliseconds: that took a twentieth of a core, in `e2e
/// --pinned` the destination daemon's core, while curl's run waits for its process at no cost.
/// Waiting on the descriptor costs nothing until a file arrives.
///
/// `@unchecked Sendable`: its state is used by one thread at a time, the creator's and then,
/// while the creator is suspended in `wait`, the waiting thread's. One `wait` at a time.
final class FolderArrivals: @unchecked Sendable {
    private let fd: Int32
    private let folder: String
    private let suffix: String
    private var arrived: Set<String> = []

    /// Watches `folder` (which must exist) from now on; files already there count too.
    /// - Throws: `BenchFailure.system` when inotify cannot be set up.
    init(folder: String, suffix: String) throws {
        fd = inotify_init1(Int32(IN_CLOEXEC))
        guard fd >= 0 else { throw BenchFailure.system("inotify_init1", errno) }
        self.folder = folder
        self.suffix = suffix
        guard inotify_add_watch(fd, folder, UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) >= 0 else {
            let failure = errno
            close(fd)
            throw BenchFailure.system("inotify_add_watch \(folder)", failure)
        }
        relist()
    }

    deinit { close(fd) }

    /// Waits, on a thread of its own, until `count` files have arrived or `timeout` has passed;
    /// returns how many have.
    func wait(for count: Int, timeout: Duration) async -> Int {
        let deadline = ContinuousClock.now + timeout
        return await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.block(until: count, deadline: deadline)) }.start()
        }
    }

    private func block(until count: Int, deadline: ContinuousClock.Instant) -> Int {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while arrived.count < count {
            let left = deadline - .now
            guard left > .zero else { break }
            guard poll(&descriptor, 1, Int32(min(left / .milliseconds(1), 1000)) + 1) > 0 else { continue }
            let n = read(fd, &buffer, buffer.count)
            if n > 0 { take(buffer.prefix(n)) }
        }
        return arrived.count
    }

    /// Adds the names of a read's events; an overflowed queue has lost some, so the folder is
    /// listed instead.
    private func take(_ events: ArraySlice<UInt8>) {
        let header = MemoryLayout<inotify_event>.size
        events.withUnsafeBytes { raw in
            var offset = 0
            while offset + header <= raw.count {
                let event = raw.loadUnaligned(fromByteOffset: offset, as: inotify_event.self)
                let end = min(raw.count, offset + header + Int(event.len))
                if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
                    relist()
                } else {
                    let name = String(decoding: raw[(offset + header)..<end].prefix { $0 != 0 }, as: UTF8.self)
                    if name.hasSuffix(suffix) { arrived.insert(name) }
                }
                offset = end
            }
        }
    }

    private func relist() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        arrived.formUnion(names.filter { $0.hasSuffix(suffix) })
    }
}
