#if canImport(Glibc)
    import Glibc
#endif

/// A system call that failed: which one, on which file, and the `errno` it left. The one shape
/// every module uses for "the operating system said no"; modules wrap it in their own typed
/// error only where that adds meaning (which entry, which peer).
public struct SystemError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The operation that failed, in words an operator recognises.
    public enum Operation: String, Sendable, Hashable {
        case open, create, read, write, fsync, rename, remove, truncate, stat, list, lock, link
        case createDirectory = "create directory"
        case syncDirectory = "sync directory"
        case syncFileSystem = "sync file system"
        /// `pthread_create`; the path is the thread's name.
        case createThread = "create thread"
    }

    public var operation: Operation
    public var path: String
    public var errno: Int32

    /// A failure of `operation` on `path` with `errno`.
    public init(_ operation: Operation, path: String, errno: Int32) {
        self.operation = operation
        self.path = path
        self.errno = errno
    }

    /// The failure the last system call left in the thread's `errno`.
    public static func last(_ operation: Operation, path: String) -> SystemError {
        SystemError(operation, path: path, errno: Glibc.errno)
    }

    /// True when the file system is out of space or quota: a condition that can clear by
    /// itself, so a caller may ask its peer to retry later rather than fail for good.
    public var isOutOfSpace: Bool { errno == ENOSPC || errno == EDQUOT }

    /// `"<path>: <operation> failed: <strerror>"`.
    public var description: String {
        "\(path): \(operation.rawValue) failed: \(String(cString: strerror(errno)))"
    }
}
