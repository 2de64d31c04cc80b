/// Size limits applied while reading an archive, before any declared size is trusted.
public struct ArchiveLimits: Sendable, Codable, Equatable {
    /// Largest whole archive, in bytes.
    public var maxArchiveBytes: UInt64
    /// Largest single payload file, in bytes.
    public var maxFileBytes: UInt64
    /// Most entries (files, directories, headers) in one archive.
    public var maxEntries: Int
    /// Largest tag file (bag-info, manifests, signature) or `dossier.json`, held in memory.
    public var maxTagFileBytes: UInt64

    public init(maxArchiveBytes: UInt64, maxFileBytes: UInt64, maxEntries: Int, maxTagFileBytes: UInt64) {
        self.maxArchiveBytes = maxArchiveBytes
        self.maxFileBytes = maxFileBytes
        self.maxEntries = maxEntries
        self.maxTagFileBytes = maxTagFileBytes
    }

    /// 8 GiB archives, 4 GiB files, 10,000 entries, 4 MiB tag files.
    public static let `default` = ArchiveLimits(
        maxArchiveBytes: 8 << 30, maxFileBytes: 4 << 30, maxEntries: 10_000, maxTagFileBytes: 4 << 20)
}
