import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What the streaming archive reader keeps of each document: its size, first 4 KiB and last
/// 64 KiB. Every format and security check in this module works on this alone, so a document is
/// never held in memory whole.
public struct DocumentSample: Sendable {
    /// Bytes kept from the start of each document.
    public static let headLength = 4096
    /// Bytes kept from the end of each document (enough for a PDF trailer or a zip central directory).
    public static let tailLength = 65536

    /// Relative to the bag's `data/` (or the dossier folder), e.g. `documents/photo-1.jpg`.
    public var path: String
    public var size: UInt64
    /// The first min(size, headLength) bytes.
    public var head: [UInt8]
    /// The last min(size, tailLength) bytes.
    public var tail: [UInt8]

    /// Stores the sample as given; `head` and `tail` should be at most `headLength` and `tailLength` bytes.
    public init(path: String, size: UInt64, head: [UInt8], tail: [UInt8]) {
        self.path = path
        self.size = size
        self.head = head
        self.tail = tail
    }

    /// Reads head and tail of a regular file on disk (for `check` on a dossier folder), with
    /// two `pread`s: checking runs for every document of every dossier packed.
    /// A symbolic link is not followed, and anything but a regular file is refused rather than
    /// read (a FIFO would block).
    /// - Throws: `DocumentReadError` if the file cannot be opened or read.
    public static func read(from url: URL, path: String) throws(DocumentReadError) -> DocumentSample {
        func failure(_ code: Int32) -> DocumentReadError { .unreadable(path: path, reason: String(cString: strerror(code))) }
        let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw failure(errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        let size = UInt64(info.st_size)
        let head = try readFully(fd, at: 0, count: Int(min(size, UInt64(headLength))), path: path)
        let tailCount = min(size, UInt64(tailLength))
        let tail = try readFully(fd, at: size - tailCount, count: Int(tailCount), path: path)
        return DocumentSample(path: path, size: size, head: head, tail: tail)
    }

    /// Up to `count` bytes from `offset`, fewer only at the end of the file (it may shrink
    /// meanwhile).
    private static func readFully(_ fd: Int32, at offset: UInt64, count: Int, path: String) throws(DocumentReadError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        var failure: Int32 = 0
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            while done < count {
                let n = pread(fd, base + done, count - done, off_t(offset) + off_t(done))
                if n > 0 {
                    done += n
                } else if n == 0 {
                    return
                } else if errno != EINTR {
                    failure = errno
                    return
                }
            }
        }
        guard failure == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(failure))) }
        return done == count ? bytes : Array(bytes.prefix(done))
    }
}

/// Why a document's bytes could not be sampled.
public enum DocumentReadError: Error, Sendable, Equatable {
    case unreadable(path: String, reason: String)
}
