import Foundation

/// Archive identifiers: UUIDv7 (RFC 9562), time-ordered and unique, lowercase, safe as file and
/// folder names.
public enum ArchiveID {
    /// A new UUIDv7 from the current time and the system's random generator.
    public static func make(now: Date = Date()) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255) }
        let millis = UInt64(max(0, now.timeIntervalSince1970 * 1000))
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: millis >> (8 * UInt64(5 - i))) }
        bytes[6] = 0x70 | (bytes[6] & 0x0f)
        bytes[8] = 0x80 | (bytes[8] & 0x3f)
        let hex = bytes.hexString
        let cuts = [8, 12, 16, 20]
        var out = ""
        for (i, ch) in hex.enumerated() {
            if cuts.contains(i) { out.append("-") }
            out.append(ch)
        }
        return out
    }

    /// The creation time of a UUIDv7 id (`make`'s, to the millisecond), or nil for any other id.
    public static func timestamp(of id: String) -> Date? {
        let hex = id.replacingOccurrences(of: "-", with: "")
        guard id.utf8.count == 36, hex.utf8.count == 32, Array(hex.utf8)[12] == UInt8(ascii: "7"),
            let millis = UInt64(hex.prefix(12), radix: 16)
        else { return nil }
        return Date(timeIntervalSince1970: Double(millis) / 1000)
    }

    /// True for names usable as an archive id: 1–128 of `A–Z a–z 0–9 . _ -`, not starting with
    /// `.` or `-`. Ids from other tools (any bag name of that form) are accepted.
    public static func isSafe(_ id: String) -> Bool {
        guard let first = id.utf8.first, id.utf8.count <= 128, first != UInt8(ascii: "."), first != UInt8(ascii: "-")
        else { return false }
        return id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
