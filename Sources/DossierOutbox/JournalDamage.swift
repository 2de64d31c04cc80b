/// A place in the journal that replay could not use, outside a torn tail.
public struct JournalDamage: Sendable, Equatable, CustomStringConvertible {
    /// Why the bytes at `offset` were not used.
    public enum Reason: Sendable, Equatable {
        /// The segment does not start with the journal's magic bytes.
        case badHeader
        /// A frame's length is impossible or runs past the end of the file.
        case badLength
        /// A frame's CRC-32C does not match its bytes.
        case checksumMismatch
        /// The frame checks out but its payload is not a valid event.
        case undecodable
        /// The event is valid but does not apply (unknown id, illegal transition),
        /// usually because earlier records were lost.
        case inconsistent(OutboxError)
    }

    /// The segment's file name.
    public var segment: String
    /// Byte offset of the first unusable frame in the segment.
    public var offset: Int
    /// Bytes from `offset` not replayed, up to the last non-zero byte (0 for a single
    /// inconsistent record).
    public var unreadBytes: Int
    /// What was wrong there.
    public var reason: Reason
    /// Where the segment was moved when the damage was accepted, or nil.
    public var keptAs: String?

    /// A one-line text for logs and `dossierctl`.
    public var description: String {
        "\(segment) at offset \(offset): \(reason) (\(unreadBytes) bytes unread)"
            + (keptAs.map { ", kept as \($0)" } ?? "")
    }
}
