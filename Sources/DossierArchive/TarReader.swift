import DossierSystem
import Foundation

/// A streaming reader of tar entries from a file descriptor, for hostile input: every length is
/// checked before it is trusted, memory is one fixed buffer plus small headers, and malformed
/// input ends in a `TarReader.Failure`, never a trap. Extended headers count as headers, and
/// their bytes and records are bounded per entry and per archive (`ArchiveLimits`), so a chain of
/// them cannot make it hold more than one entry's budget.
///
/// Understands ustar, GNU (`L` long names, base-256 sizes) and pax (`path`, `size`). Not
/// thread-safe.
final class TarReader {
    /// One logical entry: long names and pax sizes already applied.
    struct Entry {
        var name: [UInt8]
        var size: UInt64
        var kind: TarFormat.Kind
        /// Where the entry's header starts in the stream, for error messages.
        var offset: UInt64
    }

    enum Failure: Error, Equatable {
        /// The stream ended inside a header or an entry's content.
        case truncated(offset: UInt64)
        /// A header block is not a tar header (bad checksum, number or magic).
        case badHeader(offset: UInt64, problem: TarFormat.HeaderProblem)
        /// A pax or GNU long-name header is malformed or too large.
        case badExtendedHeader(offset: UInt64)
        /// Non-zero bytes after the end-of-archive marker.
        case trailingData(offset: UInt64)
        /// The header at `offset` crosses `bound`; `detail` says by how much.
        case overLimit(offset: UInt64, bound: ArchiveLimits.Bound, detail: String)
    }

    private static let maxEntrySize: UInt64 = 1 << 62

    private let fd: Int32
    private let path: String
    private let limits: ArchiveLimits
    /// Headers read so far, extended ones included.
    private(set) var headers = 0
    private var extendedBytes: UInt64 = 0
    private var paxRecords = 0
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    private var atEOF = false
    /// Bytes consumed from the stream so far.
    private(set) var offset: UInt64 = 0
    /// Content (plus padding) of the current entry not yet consumed.
    private var pendingContent: UInt64 = 0
    private var pendingPadding: UInt64 = 0

    /// The file's size when `fd` is a regular file: content is then skipped by seeking, and an
    /// entry that runs past the end is found truncated without reading up to it.
    private let fileSize: UInt64?

    /// Reads from `fd`, positioned at its start (not closed here); `path` names it in errors.
    init(fd: Int32, path: String, limits: ArchiveLimits) {
        self.fd = fd
        self.path = path
        self.limits = limits
        var st = stat()
        fileSize = fstat(fd, &st) == 0 && st.st_mode & S_IFMT == S_IFREG ? UInt64(st.st_size) : nil
        buffer = BufferPool.shared.take()
    }

    deinit { BufferPool.shared.give(buffer) }

    /// The next entry, or nil at the end-of-archive marker. Skips what is left of the previous
    /// entry's content.
    func next() throws -> Entry? {
        try skipContent()
        var longName: [UInt8]?
        var pax: [String: [UInt8]] = [:]
        var entryExtendedBytes: UInt64 = 0
        while true {
            let headerOffset = offset
            guard try available(TarFormat.blockSize) else { throw Failure.truncated(offset: offset) }
            let block = UnsafeRawBufferPointer(rebasing: buffer[start..<(start + TarFormat.blockSize)])
            if TarFormat.isZeroBlock(block) {
                consume(TarFormat.blockSize)
                try expectOnlyZeros()
                return nil
            }
            let header: TarFormat.Header
            switch Result(catching: { () throws(TarFormat.HeaderProblem) in try TarFormat.decode(block) }) {
            case let .success(decoded): header = decoded
            case let .failure(problem): throw Failure.badHeader(offset: headerOffset, problem: problem)
            }
            consume(TarFormat.blockSize)
            headers += 1
            guard headers <= max(0, limits.maxEntries) else {
                throw Failure.overLimit(offset: headerOffset, bound: .entries, detail: "more than \(limits.maxEntries) headers")
            }
            switch header.kind {
            case .paxExtended, .paxGlobal, .gnuLongName, .gnuLongLink:
                try checkExtended(size: header.size, entrySoFar: entryExtendedBytes, at: headerOffset)
                entryExtendedBytes += header.size
                extendedBytes += header.size
                let data = try readExtended(size: header.size)
                if header.kind == .paxExtended {
                    guard let fields = TarFormat.parsePax(data) else { throw Failure.badExtendedHeader(offset: headerOffset) }
                    pax.merge(fields) { $1 }
                    try checkPaxRecords(added: fields.count, entryTotal: pax.count, at: headerOffset)
                } else if header.kind == .gnuLongName {
                    longName = Array(data.prefix { $0 != 0 })
                }
            default:
                var entry = Entry(name: longName ?? header.name, size: header.size, kind: header.kind, offset: headerOffset)
                if let path = pax["path"] { entry.name = path }
                guard entry.name.count <= limits.maxNameBytes else {
                    throw Failure.overLimit(
                        offset: headerOffset, bound: .nameBytes,
                        detail: "a name of \(entry.name.count) bytes, over \(limits.maxNameBytes)")
                }
                if let size = pax["size"] {
                    guard let value = UInt64(String(decoding: size, as: UTF8.self)) else {
                        throw Failure.badExtendedHeader(offset: headerOffset)
                    }
                    entry.size = value
                }
                // No file system holds more; refusing it here keeps every later sum and rounding
                // of sizes and offsets from overflowing.
                guard entry.size <= Self.maxEntrySize else {
                    throw Failure.badHeader(offset: headerOffset, problem: .badNumber(field: "size"))
                }
                // Links, directories and devices carry no content, whatever their size field says.
                let hasContent = entry.kind == .file || entry.kind.isUnknown
                pendingContent = hasContent ? entry.size : 0
                pendingPadding = hasContent ? TarFormat.padded(entry.size) - entry.size : 0
                return entry
            }
        }
    }

    /// Streams the current entry's content to `body` in chunks, then consumes its padding.
    func readContent(_ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        while pendingContent > 0 {
            guard try available(1) else { throw Failure.truncated(offset: offset) }
            let n = Int(min(UInt64(end - start), pendingContent))
            try body(UnsafeRawBufferPointer(rebasing: buffer[start..<(start + n)]))
            consume(n)
            pendingContent -= UInt64(n)
        }
        try skipContent()
    }

    /// Skips what is left of the current entry's content and padding.
    func skipContent() throws {
        var left = pendingContent + pendingPadding
        pendingContent = 0
        pendingPadding = 0
        if let fileSize, left > UInt64(end - start) {
            guard offset <= fileSize, fileSize - offset >= left else { throw Failure.truncated(offset: fileSize) }
            offset += left
            start = 0
            end = 0
            guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
                throw SystemError.last(.read, path: path)
            }
            return
        }
        while left > 0 {
            guard try available(1) else { throw Failure.truncated(offset: offset) }
            let n = Int(min(UInt64(end - start), left))
            consume(n)
            left -= UInt64(n)
        }
    }

    /// Refuses an extended header that would take this entry or the archive past its budget,
    /// before a byte of it is read.
    private func checkExtended(size: UInt64, entrySoFar: UInt64, at headerOffset: UInt64) throws {
        // Both running sums stay below their limits, so neither subtraction can wrap.
        if entrySoFar > limits.maxPaxBytesPerEntry || size > limits.maxPaxBytesPerEntry - entrySoFar {
            throw Failure.overLimit(
                offset: headerOffset, bound: .paxBytesPerEntry,
                detail: "extended headers of more than \(limits.maxPaxBytesPerEntry) bytes for one entry")
        }
        if extendedBytes > limits.maxPaxBytesTotal || size > limits.maxPaxBytesTotal - extendedBytes {
            throw Failure.overLimit(
                offset: headerOffset, bound: .paxBytesTotal,
                detail: "extended headers of more than \(limits.maxPaxBytesTotal) bytes in all")
        }
    }

    private func checkPaxRecords(added: Int, entryTotal: Int, at headerOffset: UInt64) throws {
        paxRecords += added
        if entryTotal > limits.maxPaxRecordsPerEntry {
            throw Failure.overLimit(
                offset: headerOffset, bound: .paxRecordsPerEntry,
                detail: "\(entryTotal) pax keys for one entry, over \(limits.maxPaxRecordsPerEntry)")
        }
        if paxRecords > limits.maxPaxRecordsTotal {
            throw Failure.overLimit(
                offset: headerOffset, bound: .paxRecordsTotal,
                detail: "more than \(limits.maxPaxRecordsTotal) pax records in all")
        }
    }

    private func readExtended(size: UInt64) throws -> [UInt8] {
        var data: [UInt8] = []
        pendingContent = size
        pendingPadding = TarFormat.padded(size) - size
        try readContent { data.append(contentsOf: $0) }
        return data
    }

    /// After the first zero block: the rest of the stream (the second zero block and any
    /// record padding) must be zeros.
    private func expectOnlyZeros() throws {
        while try available(1) {
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            if !chunk.allSatisfy({ $0 == 0 }) { throw Failure.trailingData(offset: offset) }
            consume(end - start)
        }
    }

    private func consume(_ n: Int) {
        start += n
        offset += UInt64(n)
    }

    /// Makes at least `count` bytes available at `start` (count ≤ buffer size); false at EOF.
    private func available(_ count: Int) throws -> Bool {
        if end - start >= count { return true }
        if start > 0, let base = buffer.baseAddress {
            if end > start { base.copyMemory(from: base + start, byteCount: end - start) }
            end -= start
            start = 0
        }
        while end - start < count, !atEOF, let base = buffer.baseAddress {
            let n = try FileIO.readSome(fd: fd, into: base + end, count: buffer.count - end, path: path)
            if n == 0 { atEOF = true } else { end += n }
        }
        return end - start >= count
    }
}

extension TarFormat.Kind {
    var isUnknown: Bool { if case .unknown = self { return true } else { return false } }
}
