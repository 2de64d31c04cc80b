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
        // A lock just given up can still look held for a moment: a child forked by another
        // thread of this process shares the descriptor until its exec closes it. A writer that
        // really holds the journal still holds it a second later.
        var code: Int32 = 0
        for attempt in 0..<20 {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 {
                code = 0
                break
            }
            code = errno
            guard code == EWOULDBLOCK, attempt < 19 else { break }
            usleep(50_000)
        }
        guard code == 0 else {
            close(fd)
            throw code == EWOULDBLOCK ? .locked(path: directory) : .system(SystemError(.lock, path: path, errno: code))
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
