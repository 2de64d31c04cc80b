import Foundation

/// An exclusive `flock` on `<journal>/lock`: two writers on one journal would interleave
/// frames and truncate each other's tails. The kernel drops the lock when the process dies,
/// so a crash never leaves it behind.
///
/// `@unchecked Sendable`: `fd` is only changed by `release()` under `mutex`.
final class JournalLock: @unchecked Sendable {
    private let mutex = NSLock()
    private var fd: Int32

    init(directory: String) throws(OutboxError) {
        let path = directory + "/lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileSystem.fail(.open, path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            throw code == EWOULDBLOCK ? .locked(path: directory) : .file(.open, path: path, errno: code)
        }
    }

    deinit { release() }

    /// Gives the lock up; later calls do nothing.
    func release() {
        mutex.lock()
        defer { mutex.unlock() }
        if fd >= 0 { close(fd) }
        fd = -1
    }
}
