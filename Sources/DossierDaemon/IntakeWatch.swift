import DossierSystem
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Wakes the intake scan as soon as something is created or moved into a watched folder
/// (`inotify(7)`), so that a dossier dropped into `intake/<code>/` is packed at once rather
/// than at the next `timing.intake_poll`. The poll stays as the fallback: when inotify cannot
/// be used (no watches left, another kind of file system) nothing is lost, only latency.
///
/// One thread of its own waits on the inotify descriptor (`poll(2)` with a short timeout, so
/// `stop()` ends it promptly) and only signals `wake`; it reads no folder itself. A folder
/// removed (its watch ended, `IN_IGNORED`) is forgotten, so that one made again under its name
/// is watched again at the next `watch`. Thread-safe.
final class IntakeWatch: Sendable {
    private struct Watched {
        var folders: Set<String> = []
        /// Each folder by its watch descriptor, to forget it when its watch ends.
        var byDescriptor: [Int32: String] = [:]
    }

    private let fd: Int32
    private let wake: WakeSignal
    private let watched = Mutex(Watched())
    private let stopped = Atomic<Bool>(false)

    /// Starts watching.
    /// - Throws: `SystemError` when inotify or a thread for it is unavailable (the scan then
    ///   polls).
    init(wake: WakeSignal) throws(SystemError) {
        let fd = inotify_init1(Int32(IN_CLOEXEC | IN_NONBLOCK))
        guard fd >= 0 else { throw SystemError.last(.open, path: "inotify") }
        self.fd = fd
        self.wake = wake
        do throws(SystemError) {
            try DetachedThread.start(named: "dossier-intake-watch") { [self] in waitForEvents() }
        } catch {
            close(fd)
            throw error
        }
    }

    /// Adds `folders` to the watch (each once; a folder already watched is skipped). Returns
    /// the folders that could not be watched, with the `errno` why; the poll still covers them.
    @discardableResult
    func watch(_ folders: [String]) -> [(folder: String, errno: Int32)] {
        let new = watched.withLock { watched in folders.filter { watched.folders.insert($0).inserted } }
        return new.compactMap { folder in
            let descriptor = inotify_add_watch(fd, folder, UInt32(IN_CREATE) | UInt32(IN_MOVED_TO))
            guard descriptor < 0 else {
                watched.withLock { $0.byDescriptor[descriptor] = folder }
                return nil
            }
            let failure = errno
            watched.withLock { _ = $0.folders.remove(folder) }
            return (folder, failure)
        }
    }

    /// Ends the thread (within half a second) and closes the descriptor.
    func stop() { stopped.store(true, ordering: .releasing) }

    private func waitForEvents() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stopped.load(ordering: .acquiring) {
            guard poll(&descriptor, 1, 500) > 0 else { continue }
            // Any change means "scan again"; only the end of a watch is looked at.
            while true {
                let count = read(fd, &buffer, buffer.count)
                guard count > 0 else { break }
                forgetEndedWatches(buffer[..<count])
            }
            wake.signal()
        }
        close(fd)
    }

    /// Forgets the folders whose watch `events` (whole `inotify_event`s, as `read` returns
    /// them) say has ended.
    private func forgetEndedWatches(_ events: ArraySlice<UInt8>) {
        let headerSize = MemoryLayout<inotify_event>.size
        var offset = events.startIndex
        while offset + headerSize <= events.endIndex {
            let event = events.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset - events.startIndex, as: inotify_event.self) }
            if event.mask & UInt32(IN_IGNORED) != 0 {
                watched.withLock { watched in
                    if let folder = watched.byDescriptor.removeValue(forKey: event.wd) { watched.folders.remove(folder) }
                }
            }
            offset += headerSize + Int(event.len)
        }
    }
}
