import DossierArchive
import DossierSystem
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// An archive being received: a temporary file in the inbox's `.incoming/` folder, hashed and
/// counted as bytes arrive. Removed when dropped unless `finish()` handed it over.
///
/// Not thread-safe: one upload belongs to one task.
public final class IncomingFile {
    /// The temporary file's path.
    public let path: String
    private var fd: Int32
    private let hash = SHA256()
    private var finished = false
    /// Bytes written so far.
    public private(set) var size: UInt64 = 0

    /// Creates a new temporary file in `directory`.
    /// - Throws: `SystemError` when it cannot be created.
    public init(directory: URL) throws(SystemError) {
        path = directory.appendingPathComponent("\(ArchiveID.make()).part").path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError.last(.create, path: path) }
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !finished { unlink(path) }
    }

    /// Appends bytes to the file and the running digest.
    /// - Throws: `SystemError` on a failed write (disk full, …).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        hash.update(bytes)
        try FileIO.writeAll(fd: fd, bytes, path: path)
        size += UInt64(bytes.count)
    }

    /// Makes the bytes durable and closes the file; from then on the inbox owns it.
    /// - Throws: `SystemError` when fsync fails (the file is then removed).
    public func finish() throws(SystemError) -> ReceivedFile {
        guard fsync(fd) == 0 else { throw SystemError.last(.fsync, path: path) }
        close(fd)
        fd = -1
        finished = true
        return ReceivedFile(path: path, size: size, digest: hash.finish().hexString)
    }
}

/// A completely received archive, fsynced, still under its temporary name.
public struct ReceivedFile: Sendable, Equatable {
    public var path: String
    public var size: UInt64
    /// SHA-256 of the whole file, lowercase hex.
    public var digest: String

    /// A file received by other means (a pull download), already fsynced by its writer.
    public init(path: String, size: UInt64, digest: String) {
        self.path = path
        self.size = size
        self.digest = digest
    }
}
