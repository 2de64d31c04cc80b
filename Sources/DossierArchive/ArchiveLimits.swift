import DossierModel

/// Size limits applied while reading an archive, before any declared size is trusted. Together
/// they bound what verifying one archive can make the process hold (docs/protocol.md): the tag files,
/// the record, the document samples, the names and the extended headers of the entry being read.
/// An archive beyond any of them is rejected as `size-limit` as soon as the bound is crossed,
/// with a detail naming the bound (`Bound`).
public struct ArchiveLimits: Sendable, Codable, Equatable {
    /// Largest whole archive, in bytes.
    public var maxArchiveBytes: UInt64
    /// Largest single payload file, in bytes.
    public var maxFileBytes: UInt64
    /// Most tar headers in one archive: entries and the pax / GNU extended headers before them.
    public var maxEntries: Int
    /// Largest tag file (bag-info, manifests, signature), held in memory.
    public var maxTagFileBytes: UInt64
    /// Most files outside `data/` (tag files, signatures), each held in memory.
    public var maxTagFiles: Int
    /// Most bytes of all files outside `data/` together.
    public var maxTagBytesTotal: UInt64
    /// Largest `data/dossier.json`, held in memory.
    public var maxRecordBytes: UInt64
    /// Most extended-header bytes (pax, GNU long names) in front of one entry, chained or not.
    public var maxPaxBytesPerEntry: UInt64
    /// Most distinct pax keys applying to one entry.
    public var maxPaxRecordsPerEntry: Int
    /// Most extended-header bytes in the whole archive.
    public var maxPaxBytesTotal: UInt64
    /// Most pax records in the whole archive.
    public var maxPaxRecordsTotal: Int
    /// Longest entry name, in bytes (names are kept for duplicate detection and the report).
    public var maxNameBytes: Int
    /// Most files under `data/documents/` (each keeps a sample for the four-property check).
    public var maxDocuments: Int
    /// Most bytes of document samples (head and tail of each document) kept for one archive.
    public var maxSampleBytes: UInt64

    /// Every limit; those not given take their `default` value.
    public init(
        maxArchiveBytes: UInt64, maxFileBytes: UInt64, maxEntries: Int, maxTagFileBytes: UInt64,
        maxTagFiles: Int = Self.default.maxTagFiles, maxTagBytesTotal: UInt64 = Self.default.maxTagBytesTotal,
        maxRecordBytes: UInt64 = Self.default.maxRecordBytes,
        maxPaxBytesPerEntry: UInt64 = Self.default.maxPaxBytesPerEntry,
        maxPaxRecordsPerEntry: Int = Self.default.maxPaxRecordsPerEntry,
        maxPaxBytesTotal: UInt64 = Self.default.maxPaxBytesTotal,
        maxPaxRecordsTotal: Int = Self.default.maxPaxRecordsTotal, maxNameBytes: Int = Self.default.maxNameBytes,
        maxDocuments: Int = Self.default.maxDocuments, maxSampleBytes: UInt64 = Self.default.maxSampleBytes
    ) {
        self.maxArchiveBytes = maxArchiveBytes
        self.maxFileBytes = maxFileBytes
        self.maxEntries = maxEntries
        self.maxTagFileBytes = maxTagFileBytes
        self.maxTagFiles = maxTagFiles
        self.maxTagBytesTotal = maxTagBytesTotal
        self.maxRecordBytes = maxRecordBytes
        self.maxPaxBytesPerEntry = maxPaxBytesPerEntry
        self.maxPaxRecordsPerEntry = maxPaxRecordsPerEntry
        self.maxPaxBytesTotal = maxPaxBytesTotal
        self.maxPaxRecordsTotal = maxPaxRecordsTotal
        self.maxNameBytes = maxNameBytes
        self.maxDocuments = maxDocuments
        self.maxSampleBytes = maxSampleBytes
    }

    /// 8 GiB archives, 4 GiB files, 10,000 headers; 4 MiB a tag file, 32 tag files and 16 MiB of
    /// them together; a 4 MiB record; 64 KiB and 64 pax keys an entry, 4 MiB and 50,000 pax
    /// records an archive; 1 KiB names; 1,000 documents and 24 MiB of their samples. Verifying
    /// stays well under 64 MiB whatever the archive holds.
    public static let `default` = ArchiveLimits(
        maxArchiveBytes: 8 << 30, maxFileBytes: 4 << 30, maxEntries: 10_000, maxTagFileBytes: 4 << 20,
        maxTagFiles: 32, maxTagBytesTotal: 16 << 20, maxRecordBytes: 4 << 20,
        maxPaxBytesPerEntry: 64 << 10, maxPaxRecordsPerEntry: 64, maxPaxBytesTotal: 4 << 20, maxPaxRecordsTotal: 50_000,
        maxNameBytes: 1024, maxDocuments: 1_000, maxSampleBytes: 24 << 20)

    /// Which limit an archive crossed; named in the `size-limit` finding's detail.
    public enum Bound: String, Sendable, CaseIterable {
        case archiveBytes = "archive size"
        case fileBytes = "file size"
        case entries = "entries"
        case tagFileBytes = "tag file size"
        case tagFiles = "tag file count"
        case tagBytesTotal = "tag files total size"
        case recordBytes = "record size"
        case paxBytesPerEntry = "pax bytes per entry"
        case paxRecordsPerEntry = "pax records per entry"
        case paxBytesTotal = "pax bytes per archive"
        case paxRecordsTotal = "pax records per archive"
        case nameBytes = "name length"
        case documents = "documents"
        case sampleBytes = "document samples size"
    }

    /// The `size-limit` finding for crossing `bound`, its detail starting with the bound's name.
    static func finding(_ bound: Bound, _ detail: String) -> Finding {
        Finding(.security, "size-limit", "\(bound.rawValue): \(detail)")
    }
}
