import Foundation

/// One thing that happened to an archive in this authority's custody: a leaf of the custody log.
///
/// Its canonical bytes (`leafBytes()`) are what the Merkle tree hashes, so they have exactly one
/// form per event (docs/custody-log.md, "Entry encoding"), all integers big-endian:
///
/// ```
/// u8      version = 1
/// u8      kind    (packed 1, sent 2, receiptKept 3, received 4, rejected 5,
///                  completionSent 6, completionReceived 7, transferredOut 8)
/// u64     time    milliseconds since 1970-01-01T00:00:00Z
/// opaque  archiveId<1..2^16-1>   UTF-8
/// opaque  peer<0..2^16-1>        UTF-8, the other authority's code
/// opaque  digest<0..2^16-1>      UTF-8, the archive's SHA-256 as lowercase hex
/// u8      hasDetail (0 or 1), then, when 1, opaque detail<0..2^16-1> UTF-8
/// ```
///
/// Strings are stored as the bytes they were given (no Unicode normalisation). Decoding refuses
/// any other version or kind, short input, invalid UTF-8 and trailing bytes.
public struct CustodyEvent: Sendable, Equatable, Codable {
    /// What happened (docs/custody-log.md).
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case packed, sent, receiptKept, received, rejected, completionSent, completionReceived, transferredOut

        /// The kind's byte in the encoding; fixed forever, whatever the declaration order.
        var code: UInt8 {
            switch self {
            case .packed: 1
            case .sent: 2
            case .receiptKept: 3
            case .received: 4
            case .rejected: 5
            case .completionSent: 6
            case .completionReceived: 7
            case .transferredOut: 8
            }
        }

        init?(code: UInt8) {
            guard let kind = Self.allCases.first(where: { $0.code == code }) else { return nil }
            self = kind
        }
    }

    public var kind: Kind
    /// The archive (its UUIDv7 id).
    public var archiveId: String
    /// The other authority: the destination for `packed`, `sent`, …, the origin for `received`, ….
    public var peer: String
    /// The archive's SHA-256, lowercase hex.
    public var digest: String
    /// When it happened, to the millisecond (the encoding's precision: `init` rounds to it).
    public var time: Date
    /// Free text: a rejection's reasons, a receipt's file name.
    public var detail: String?

    /// An event; `time` is rounded to the millisecond so that it survives encoding unchanged.
    public init(kind: Kind, archiveId: String, peer: String, digest: String, time: Date, detail: String? = nil) {
        self.kind = kind
        self.archiveId = archiveId
        self.peer = peer
        self.digest = digest
        self.time = Date(timeIntervalSince1970: (time.timeIntervalSince1970 * 1000).rounded() / 1000)
        self.detail = detail
    }

    static let version: UInt8 = 1

    /// The canonical bytes: the Merkle leaf.
    /// - Throws: `CustodyError.invalidEvent` for an empty archive id, a time before 1970 or a
    ///   string longer than 65,535 bytes of UTF-8.
    public func leafBytes() throws(CustodyError) -> [UInt8] {
        guard !archiveId.isEmpty else { throw .invalidEvent(field: "archiveId", reason: "empty") }
        let milliseconds = (time.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds >= 0, let stamp = UInt64(exactly: milliseconds) else {
            throw .invalidEvent(field: "time", reason: "\(time) is not representable (before 1970)")
        }
        var out = CanonicalWriter()
        out.u8(Self.version)
        out.u8(kind.code)
        out.u64(stamp)
        try out.string(archiveId, field: "archiveId")
        try out.string(peer, field: "peer")
        try out.string(digest, field: "digest")
        if let detail {
            out.u8(1)
            try out.string(detail, field: "detail")
        } else {
            out.u8(0)
        }
        return out.bytes
    }

    /// Decodes canonical bytes.
    /// - Throws: `CanonicalDecodeFailure` naming the field that is wrong.
    init(leafBytes: ArraySlice<UInt8>) throws(CanonicalDecodeFailure) {
        var input = CanonicalReader(leafBytes)
        let version = try input.u8("version")
        guard version == Self.version else { throw CanonicalDecodeFailure(reason: "version \(version) is not 1") }
        let code = try input.u8("kind")
        guard let kind = Kind(code: code) else { throw CanonicalDecodeFailure(reason: "kind \(code) is unknown") }
        let stamp = try input.u64("time")
        let archiveId = try input.string("archiveId")
        guard !archiveId.isEmpty else { throw CanonicalDecodeFailure(reason: "archiveId: empty") }
        let peer = try input.string("peer")
        let digest = try input.string("digest")
        let detail: String?
        switch try input.u8("hasDetail") {
        case 0: detail = nil
        case 1: detail = try input.string("detail")
        case let other: throw CanonicalDecodeFailure(reason: "hasDetail: \(other) is neither 0 nor 1")
        }
        try input.finish("entry")
        self.init(
            kind: kind, archiveId: archiveId, peer: peer, digest: digest,
            time: Date(timeIntervalSince1970: Double(stamp) / 1000), detail: detail)
    }

    // JSON (proof files): the time as ISO 8601 with milliseconds, so the readable copy is exact.
    private enum CodingKeys: String, CodingKey { case kind, archiveId, peer, digest, time, detail }

    private static let timeStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// `2026-11-28T09:00:00.123Z`. The milliseconds are written from the rounded count, not by
    /// the format style, which truncates the binary fraction (.123 would print as .122).
    private var timeText: String {
        let milliseconds = Int64((time.timeIntervalSince1970 * 1000).rounded())
        let (seconds, fraction) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let whole = Date(timeIntervalSince1970: Double(fraction < 0 ? seconds - 1 : seconds))
        return whole.formatted(Date.ISO8601FormatStyle()).dropLast() + String(format: ".%03dZ", (fraction + 1000) % 1000)
    }

    public init(from decoder: any Decoder) throws {
        let fields = try decoder.container(keyedBy: CodingKeys.self)
        let text = try fields.decode(String.self, forKey: .time)
        guard let time = try? Self.timeStyle.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: .time, in: fields, debugDescription: "not ISO 8601: \(text)")
        }
        self.init(
            kind: try fields.decode(Kind.self, forKey: .kind), archiveId: try fields.decode(String.self, forKey: .archiveId),
            peer: try fields.decode(String.self, forKey: .peer), digest: try fields.decode(String.self, forKey: .digest),
            time: time, detail: try fields.decodeIfPresent(String.self, forKey: .detail))
    }

    public func encode(to encoder: any Encoder) throws {
        var fields = encoder.container(keyedBy: CodingKeys.self)
        try fields.encode(kind, forKey: .kind)
        try fields.encode(archiveId, forKey: .archiveId)
        try fields.encode(peer, forKey: .peer)
        try fields.encode(digest, forKey: .digest)
        try fields.encode(timeText, forKey: .time)
        try fields.encodeIfPresent(detail, forKey: .detail)
    }
}
