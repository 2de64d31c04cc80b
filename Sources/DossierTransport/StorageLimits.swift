/// How much of the disk received archives may take (docs/protocol.md).
public struct StorageLimits: Sendable, Equatable {
    /// Bytes of rejected archives (with their receipts and records) kept in quarantine whole
    /// for one sender; beyond it, each further rejected archive keeps only its first
    /// `keptBeyondQuota` bytes while the sender's quarantine stays within `quarantineCeiling`,
    /// then only its digest, size and first reasons.
    public var quarantineBytesPerSender: UInt64
    /// How many records of digest and reasons only one sender keeps; beyond it the oldest is
    /// dropped. Such a record is one small `reason.json`.
    public var quarantineRecordsPerSender: Int
    /// Free space the inbox's file system keeps: an upload that would leave less is refused with
    /// 503 + `Retry-After` before its body is read.
    public var freeSpaceReserve: UInt64

    /// What a rejected archive beyond its sender's quota keeps: enough to see what it was.
    public static let keptBeyondQuota: UInt64 = 1 << 20
    /// Reasons a record of digest and reasons only keeps, so that each stays small.
    public static let reasonsKeptBeyondCeiling = 8

    /// The bytes one sender's quarantine never exceeds but for its records of digest and
    /// reasons only: twice its quota (the quota for whole archives, as much again for first MiBs).
    public var quarantineCeiling: UInt64 {
        quarantineBytesPerSender.multipliedReportingOverflow(by: 2).overflow ? .max : quarantineBytesPerSender * 2
    }

    /// The given bounds.
    public init(quarantineBytesPerSender: UInt64, freeSpaceReserve: UInt64, quarantineRecordsPerSender: Int = 1000) {
        self.quarantineBytesPerSender = quarantineBytesPerSender
        self.freeSpaceReserve = freeSpaceReserve
        self.quarantineRecordsPerSender = quarantineRecordsPerSender
    }

    /// 1 GiB of quarantine a sender (2 GiB with first MiBs, 1,000 records beyond), 1 GiB kept free.
    public static let `default` = StorageLimits(quarantineBytesPerSender: 1 << 30, freeSpaceReserve: 1 << 30)
}
