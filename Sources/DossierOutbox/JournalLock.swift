import DossierSystem
import Foundation
import Synchronization

/// An exclusive `flock` on `<journal>/lock`: two writers on one journal would interleave
/// frames and truncate each other's tails. The kernel drops the lock when the process dies,
/// so a crash never leaves it behind.
final class JournalLock: Sendable {
    /// The locked file's descriptor, -1 once released.
    private let fd: Mutex<Int32>

    init(directory: String) throws(OutboxError) {
        let path = directory + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(.last(.open, path: path)) }
        let locked: Bool
        do { locked = try FileIO.lockExclusively(fd: fd, path: path) } catch {
            close(fd)
            throw .system(error)
        }
        guard locked else {
            close(fd)
            throw .locked(path: directory)
        }
        self.fd = Mutex(fd)
    }

    deinit { release() }

    /// Gives the lock up; later calls do nothing.
    func release() {
        fd.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }
}
