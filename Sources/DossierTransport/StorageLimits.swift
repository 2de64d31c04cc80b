/// How much of the disk received archives may take (docs/protocol.md).
public struct StorageLimits: Sendable, Equatable {
    /// Bytes of rejected archives kept in quarantine for one sender; beyond it, each further
    /// rejected archive keeps only its first `keptBeyondQuota` bytes (with its digest and reasons).
    public var quarantineBytesPerSender: UInt64
    /// Free space the inbox's file system keeps: an upload that would leave less is refused with
    /// 503 + `Retry-After` before its body is read.
    public var freeSpaceReserve: UInt64

    /// What a rejected archive beyond its sender's quota keeps: enough to see what it was.
    public static let keptBeyondQuota: UInt64 = 1 << 20

    /// The given bounds.
    public init(quarantineBytesPerSender: UInt64, freeSpaceReserve: UInt64) {
        self.quarantineBytesPerSender = quarantineBytesPerSender
        self.freeSpaceReserve = freeSpaceReserve
    }

    /// 1 GiB of quarantine a sender, 1 GiB kept free.
    public static let `default` = StorageLimits(quarantineBytesPerSender: 1 << 30, freeSpaceReserve: 1 << 30)
}
