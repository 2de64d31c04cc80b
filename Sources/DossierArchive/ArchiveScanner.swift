import DossierModel
import DossierSystem
import Foundation

/// What one streaming pass over an archive found: the bag's files with their digests, the tag
/// files' bytes, samples of the documents, and the structural problems met on the way.
struct ArchiveContents {
    /// The top folder, which names the archive.
    var root: String?
    /// The algorithm of the payload digests.
    var digest: DigestAlgorithm = .sha256
    /// Payload files (`data/...`): digest (hex, in `digest`) and size.
    var payload: [String: (digest: String, size: UInt64)] = [:]
    /// Every other file of the bag (tag files, signatures), whole.
    var tagFiles: [String: [UInt8]] = [:]
    /// `data/dossier.json`, whole.
    var record: [UInt8]?
    /// Head and tail of every file under `data/documents/`.
    var documents: [DocumentSample] = []
    var findings: [Finding] = []
    /// SHA-256 of the whole file, when asked for.
    var archiveDigest: [UInt8]?
    var archiveSize: UInt64 = 0
}

/// Reads an archive's tar stream once, keeping only tag files, the record and document samples
/// in memory. The calling thread walks the headers and reads the small files; documents are
/// hashed by `RangeHashing` straight from the file while the walk goes on, and so is the whole
/// file when its digest is asked for (a second read). Every structural check of docs/archive-format.md that can be made on the stream is made here;
/// bag-level checks follow in `ArchiveVerifier`.
enum ArchiveScanner {
    static let recordPath = "data/dossier.json"
    static let documentsPrefix = "data/documents/"

    /// Scans the archive at `path`, hashing the payload in `digest` and, with `digestArchive`,
    /// the whole file in SHA-256.
    /// - Throws: `SystemError` when the file cannot be read at all; problems with its
    ///   contents are findings, not errors.
    static func scan(path: String, limits: ArchiveLimits, digestArchive: Bool, digest: DigestAlgorithm = .sha256) throws -> ArchiveContents
    {
        let fd = try FileIO.openForReading(path)
        defer { close(fd) }
        var contents = ArchiveContents()
        contents.digest = digest
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SystemError.last(.stat, path: path) }
        contents.archiveSize = UInt64(st.st_size)
        if st.st_size == 0 {
            contents.findings.append(Finding(.integrity, "not-a-tar", "the file is empty"))
            return contents
        }
        let largest = largestFile(within: limits)
        if contents.archiveSize > largest {
            contents.findings.append(
                Finding(
                    .security, "size-limit",
                    "the file is \(contents.archiveSize) bytes, more than an archive within the limits can be (\(largest))"))
            return contents
        }
        let hashing = RangeHashing(fd: fd, path: path)
        // On every exit, helpers are done with `fd` before it is closed (defers run last first).
        defer { _ = hashing.finish() }
        let whole = digestArchive ? hashing.submit(offset: 0, length: contents.archiveSize, sampled: false, algorithm: .sha256) : nil
        var offloaded: [(relative: String, size: UInt64, result: Int)] = []
        let reader = TarReader(fd: fd, path: path, limits: limits)
        var seen = Set<String>()
        var budget = Budget(limits: limits)
        do {
            while let entry = try reader.next() {
                guard let relative = classify(entry, contents: &contents, seen: &seen) else { continue }
                if let crossed = budget.admit(relative, size: entry.size) {
                    // Whatever follows cannot make the archive valid: stop reading here.
                    contents.findings.append(crossed)
                    break
                }
                if relative.hasPrefix("data/"), relative != recordPath {
                    // Skipping first proves the content is all there before a worker reads it.
                    let start = reader.offset
                    try reader.skipContent()
                    let sampled = relative.hasPrefix(documentsPrefix)
                    offloaded.append(
                        (relative, entry.size, hashing.submit(offset: start, length: entry.size, sampled: sampled, algorithm: digest)))
                } else {
                    try read(entry, relative: relative, reader: reader, contents: &contents)
                }
            }
        } catch let failure as TarReader.Failure {
            contents.findings.append(finding(for: failure))
        }
        let results = hashing.finish()
        if let failed = results.lazy.compactMap(\.failure).first { throw failed }
        if let whole, !results[whole].short { contents.archiveDigest = results[whole].digest }
        for file in offloaded {
            let result = results[file.result]
            guard !result.short else {
                contents.findings.append(Finding(.integrity, "truncated", "\(file.relative): the file ended while it was read"))
                continue
            }
            contents.payload[file.relative] = (result.digest.hexString, file.size)
            if file.relative.hasPrefix(documentsPrefix) {
                contents.documents.append(
                    DocumentSample(
                        path: String(file.relative.dropFirst("data/".count)), size: file.size, head: result.head, tail: result.tail))
            }
        }
        return contents
    }

    /// Scans in the `first` digest and, when bag-info (which follows the payload) names a
    /// profile of another digest, again in that one (the whole-archive SHA-256 of the first
    /// pass is kept): the payload digests are those of the bag's own profile, or of `first` when
    /// bag-info names none or an unknown one.
    /// - Throws: `SystemError` when the file cannot be read at all.
    static func scanInItsProfile(path: String, limits: ArchiveLimits, digestArchive: Bool, first: DigestAlgorithm) throws
        -> ArchiveContents
    {
        let contents = try scan(path: path, limits: limits, digestArchive: digestArchive, digest: first)
        guard !contents.findings.contains(where: BagReading.isFatal),
            let profile = BagReading.profile(bagInfo: BagReading.report(contents).bagInfo).profile, profile.digest != first
        else { return contents }
        var again = try scan(path: path, limits: limits, digestArchive: false, digest: profile.digest)
        again.archiveDigest = contents.archiveDigest
        return again
    }

    /// The content limit plus headers, padding and the end marker (at most 3 blocks and a long
    /// name an entry), saturating: a larger file cannot be a valid archive and is not read at all.
    static func largestFile(within limits: ArchiveLimits) -> UInt64 {
        let perEntry = 3 * UInt64(TarFormat.blockSize) + 4096
        let overhead = UInt64(max(0, limits.maxEntries)).multipliedReportingOverflow(by: perEntry)
        let withContent = limits.maxArchiveBytes.addingReportingOverflow(overhead.partialValue)
        let withEnd = withContent.partialValue.addingReportingOverflow(2 * UInt64(TarFormat.blockSize))
        return overhead.overflow || withContent.overflow || withEnd.overflow ? .max : withEnd.partialValue
    }

    /// Checks an entry's name and kind; returns its path inside the bag when its content is to
    /// be read, nil when it is skipped (directories, and entries already rejected).
    private static func classify(_ entry: TarReader.Entry, contents: inout ArchiveContents, seen: inout Set<String>) -> String? {
        guard let name = String(validating: entry.name, as: UTF8.self), !name.isEmpty, !name.contains("\0") else {
            contents.findings.append(Finding(.security, "bad-name", "entry at offset \(entry.offset) has a name that is not UTF-8"))
            return nil
        }
        if name.hasPrefix("/") {
            contents.findings.append(Finding(.security, "absolute-path", name))
            return nil
        }
        var parts = name.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if parts.first == "." { parts.removeFirst() }
        if parts.last == "" { parts.removeLast() }
        if parts.isEmpty { return nil }
        if parts.contains("..") {
            contents.findings.append(Finding(.security, "path-traversal", name))
            return nil
        }
        if parts.contains(where: { $0.isEmpty || $0 == "." }) {
            contents.findings.append(Finding(.security, "bad-name", "\(name): empty or '.' path component"))
            return nil
        }
        if contents.root == nil {
            guard ArchiveID.isSafe(parts[0]) else {
                contents.findings.append(Finding(.security, "unsafe-id", "top folder \(parts[0]) is not a safe archive id"))
                contents.root = ""
                return nil
            }
            contents.root = parts[0]
        }
        guard parts[0] == contents.root, parts.count > 1 || entry.kind == .directory else {
            contents.findings.append(Finding(.security, "outside-bag", "\(name) is not inside \(contents.root ?? "")/"))
            return nil
        }
        let relative = parts.dropFirst().joined(separator: "/")
        switch entry.kind {
        case .symlink, .hardlink, .gnuLongLink:
            contents.findings.append(Finding(.security, "link-entry", "\(name) is a link"))
            return nil
        case .special:
            contents.findings.append(Finding(.security, "special-entry", "\(name) is a device or FIFO"))
            return nil
        case .unknown(let flag):
            contents.findings.append(Finding(.security, "unsupported-entry", "\(name) has tar type '\(Character(Unicode.Scalar(flag)))'"))
            return nil
        case .directory, .paxExtended, .paxGlobal, .gnuLongName:
            return nil
        case .file:
            guard seen.insert(relative).inserted else {
                contents.findings.append(Finding(.security, "duplicate-entry", name))
                return nil
            }
            return relative
        }
    }

    /// Reads a tag file or the record whole (its size already admitted by `Budget`), hashing it.
    private static func read(
        _ entry: TarReader.Entry, relative: String, reader: TarReader, contents: inout ArchiveContents
    ) throws {
        var whole: [UInt8] = []
        whole.reserveCapacity(Int(entry.size))
        try reader.readContent { whole.append(contentsOf: $0) }
        if relative == recordPath {
            contents.payload[relative] = (contents.digest.hex(of: whole), entry.size)
            contents.record = whole
        } else {
            contents.tagFiles[relative] = whole
        }
    }

    private static func finding(for failure: TarReader.Failure) -> Finding {
        switch failure {
        case let .truncated(offset):
            return Finding(.integrity, "truncated", "the archive ends inside an entry or header at byte \(offset)")
        case let .badHeader(offset, problem):
            return Finding(.integrity, "not-a-tar", "no valid tar header at byte \(offset) (\(problem))")
        case let .badExtendedHeader(offset):
            return Finding(.integrity, "not-a-tar", "malformed pax or long-name header at byte \(offset)")
        case let .trailingData(offset):
            return Finding(.security, "trailing-data", "non-zero bytes after the end of the archive, from byte \(offset)")
        case let .overLimit(offset, bound, detail):
            return ArchiveLimits.finding(bound, "\(detail) (header at byte \(offset))")
        }
    }
}

/// What one archive's files may add up to (docs/protocol.md): every file's size is admitted here
/// before its content is read or handed to a helper, so that what the scan keeps in memory —
/// tag files, the record, document samples — stays within `ArchiveLimits` whatever the archive
/// declares. Sums saturate; a hostile size cannot make them wrap.
struct Budget {
    let limits: ArchiveLimits
    private var total: UInt64 = 0
    private var tagFiles = 0
    private var tagBytes: UInt64 = 0
    private var documents = 0
    private var sampleBytes: UInt64 = 0

    init(limits: ArchiveLimits) { self.limits = limits }

    /// Counts the file at `relative` (inside the bag) of `size` bytes; the `size-limit` finding
    /// naming the bound it crosses, or nil when it fits.
    mutating func admit(_ relative: String, size: UInt64) -> Finding? {
        total = Self.add(total, size)
        if size > limits.maxFileBytes {
            return ArchiveLimits.finding(.fileBytes, "\(relative) declares \(size) bytes, over \(limits.maxFileBytes)")
        }
        if total > limits.maxArchiveBytes {
            return ArchiveLimits.finding(.archiveBytes, "files of more than \(limits.maxArchiveBytes) bytes in all")
        }
        if relative == ArchiveScanner.recordPath {
            return size > limits.maxRecordBytes
                ? ArchiveLimits.finding(.recordBytes, "\(relative) is \(size) bytes, over \(limits.maxRecordBytes)") : nil
        }
        if relative.hasPrefix(ArchiveScanner.documentsPrefix) {
            documents += 1
            let head = min(size, UInt64(DocumentSample.headLength))
            let tail = min(size, UInt64(DocumentSample.tailLength))
            sampleBytes = Self.add(sampleBytes, Self.add(head, tail))
            if documents > limits.maxDocuments {
                return ArchiveLimits.finding(.documents, "more than \(limits.maxDocuments) documents")
            }
            return sampleBytes > limits.maxSampleBytes
                ? ArchiveLimits.finding(.sampleBytes, "samples of more than \(limits.maxSampleBytes) bytes in all") : nil
        }
        if relative.hasPrefix("data/") { return nil }
        tagFiles += 1
        tagBytes = Self.add(tagBytes, size)
        if size > limits.maxTagFileBytes {
            return ArchiveLimits.finding(.tagFileBytes, "\(relative) is \(size) bytes, over \(limits.maxTagFileBytes)")
        }
        if tagFiles > limits.maxTagFiles {
            return ArchiveLimits.finding(.tagFiles, "more than \(limits.maxTagFiles) files outside data/")
        }
        return tagBytes > limits.maxTagBytesTotal
            ? ArchiveLimits.finding(.tagBytesTotal, "files outside data/ of more than \(limits.maxTagBytesTotal) bytes in all") : nil
    }

    private static func add(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? .max : sum
    }
}

/// Keeps the first `DocumentSample.headLength` and last `DocumentSample.tailLength` bytes of a
/// stream of known size, copying only those.
struct DocumentSampler {
    private let size: UInt64
    private var seen: UInt64 = 0
    private(set) var head: [UInt8] = []
    private(set) var tail: [UInt8] = []

    init(size: UInt64) { self.size = size }

    mutating func add(_ chunk: UnsafeRawBufferPointer) {
        let chunkStart = seen
        seen += UInt64(chunk.count)
        if head.count < DocumentSample.headLength {
            head.append(contentsOf: chunk.prefix(DocumentSample.headLength - head.count))
        }
        let tailStart = size > UInt64(DocumentSample.tailLength) ? size - UInt64(DocumentSample.tailLength) : 0
        if seen > tailStart {
            let from = tailStart > chunkStart ? Int(tailStart - chunkStart) : 0
            tail.append(contentsOf: chunk[from...])
        }
    }
}
