import Foundation

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

    /// Reads head and tail of a regular file on disk (for `check` on a dossier folder).
    /// - Throws: `DocumentReadError` if the file cannot be opened or read.
    public static func read(from url: URL, path: String) throws(DocumentReadError) -> DocumentSample {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        defer { try? handle.close() }
        do {
            let size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            let head = try handle.read(upToCount: headLength) ?? Data()
            let tailCount = min(size, UInt64(tailLength))
            try handle.seek(toOffset: size - tailCount)
            let tail = try handle.read(upToCount: Int(tailCount)) ?? Data()
            return DocumentSample(path: path, size: size, head: Array(head), tail: Array(tail))
        } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
    }
}

/// Why a document's bytes could not be sampled.
public enum DocumentReadError: Error, Sendable, Equatable {
    case unreadable(path: String, reason: String)
}
