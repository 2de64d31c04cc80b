import DossierArchive
import DossierSystem
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An archive being received: a temporary file in the inbox's `.incoming/` folder, hashed and
/// counted as bytes arrive. Removed when dropped unless `finish()` handed it over.
///
/// Its methods block on the disk: call them on a `BlockingPool`. Thread-safe (a lock), though
/// one upload's writes are meant to come one after another, in order.
public final class IncomingFile: Sendable {
    /// The temporary file's path.
    public let path: String
    private let state: Mutex<State>

    private struct State: ~Copyable {
        var fd: Int32
        var size: UInt64 = 0
        var finished = false
        let hash = SHA256()
    }

    /// Creates a new temporary file in `directory`.
    /// - Throws: `SystemError` when it cannot be created.
    public init(directory: URL) throws(SystemError) {
        let path = directory.appendingPathComponent("\(ArchiveID.make()).part").path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw SystemError.last(.create, path: path) }
        self.path = path
        state = Mutex(State(fd: fd))
    }

    deinit {
        state.withLock { state in
            if state.fd >= 0 { close(state.fd) }
            if !state.finished { unlink(path) }
        }
    }

    /// Bytes written so far.
    public var size: UInt64 { state.withLock { $0.size } }

    /// Appends bytes to the file and the running digest.
    /// - Throws: `SystemError` on a failed write (disk full, …).
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try state.withLock { (state: inout State) throws(SystemError) in
            state.hash.update(bytes)
            try FileIO.writeAll(fd: state.fd, bytes, path: path)
            state.size += UInt64(bytes.count)
        }
    }

    /// Appends the readable bytes of `buffer`, as `write(_:)`.
    public func write(_ buffer: ByteBuffer) throws(SystemError) {
        try buffer.withUnsafeReadableBytes { (bytes) throws(SystemError) in try write(bytes) }
    }

    /// Makes the bytes durable and closes the file; from then on the inbox owns it.
    /// - Throws: `SystemError` when fsync fails (the file is then removed).
    public func finish() throws(SystemError) -> ReceivedFile {
        try state.withLock { (state: inout State) throws(SystemError) in
            guard fsync(state.fd) == 0 else { throw SystemError.last(.fsync, path: path) }
            close(state.fd)
            state.fd = -1
            state.finished = true
            return ReceivedFile(path: path, size: state.size, digest: state.hash.finish().hexString)
        }
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
