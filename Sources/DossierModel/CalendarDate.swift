import Foundation

/// A day in the proleptic Gregorian calendar, written `YYYY-MM-DD` (ISO 8601) in JSON.
///
/// Registration dates are calendar days in the authority's local time, not instants, so the
/// record never carries a time zone. Decoding rejects anything that is not a real day.
public struct CalendarDate: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a day; returns nil when the day does not exist (e.g. 2023-02-29).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...CalendarDate.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD`; nil for any other text or a day that does not exist.
    public init?(iso text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let y = CalendarDate.number(bytes[0..<4]), let m = CalendarDate.number(bytes[5..<7]),
            let d = CalendarDate.number(bytes[8..<10])
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Parses exactly `YYYYMMDD` (the form used inside identity numbers).
    init?(compact bytes: ArraySlice<UInt8>) {
        guard bytes.count == 8, let y = CalendarDate.number(bytes.prefix(4)),
            let m = CalendarDate.number(bytes.dropFirst(4).prefix(2)),
            let d = CalendarDate.number(bytes.suffix(2))
        else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// The day `instant` falls on in China Standard Time (UTC+8), where every authority sits;
    /// instants beyond years 1 and 9999 give those years' first and last days.
    ///
    /// Counted in whole days from the epoch: China has kept UTC+8 without daylight saving since
    /// 1991, so no calendar or time zone database is needed. Building Foundation's `Calendar`
    /// for it cost 0.6 ms of a fresh `dossierctl pack` (the record is checked against today
    /// twice), and a `Calendar` per check in the daemon.
    public init(_ instant: Date) {
        let days = ((instant.timeIntervalSince1970 + 8 * 3600) / 86_400).rounded(.down)
        let first = Double(Self.firstJulianDay - Self.epochJulianDay)
        let last = Double(Self.lastJulianDay - Self.epochJulianDay)
        // NaN falls to the epoch; infinities and far instants to the ends of the range.
        let clamped = days.isNaN ? 0 : min(max(days, first), last)
        self.init(julianDayInRange: Self.epochJulianDay + Int(clamped))
    }

    public var description: String {
        let y = String(year), m = String(month), d = String(day)
        return String(repeating: "0", count: max(0, 4 - y.count)) + y + "-"
            + (m.count < 2 ? "0" : "") + m + "-" + (d.count < 2 ? "0" : "") + d
    }

    /// The same month and day `years` later; 29 February becomes 28 February in common years.
    public func adding(years: Int) -> CalendarDate {
        let y = min(9999, max(1, year + years))
        let d = min(day, CalendarDate.daysIn(month: month, year: y))
        return CalendarDate(year: y, month: month, day: d) ?? self
    }

    /// The day `days` after (or before, when negative) this one.
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(julianDay: julianDay + days) ?? self
    }

    /// Earlier days order first.
    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    /// Decodes `YYYY-MM-DD`; throws `DecodingError.dataCorrupted` for any other text or a day that does not exist.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = CalendarDate(iso: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an ISO 8601 calendar date (YYYY-MM-DD): \(text)")
        }
        self = date
    }

    /// Encodes as `YYYY-MM-DD`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Julian day numbers of 1970-01-01, 0001-01-01 and 9999-12-31.
    private static let epochJulianDay = 2_440_588
    private static let firstJulianDay = 1_721_426
    private static let lastJulianDay = 5_373_484

    // Fliegel–Van Flandern day numbers make day arithmetic exact without Foundation's calendar.
    private var julianDay: Int {
        let a = (14 - month) / 12
        let y = year + 4800 - a
        let m = month + 12 * a - 3
        return day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
    }

    private init?(julianDay jd: Int) {
        guard (Self.firstJulianDay...Self.lastJulianDay).contains(jd) else { return nil }
        self.init(julianDayInRange: jd)
    }

    /// `jd` is within `firstJulianDay...lastJulianDay`, so the day exists.
    private init(julianDayInRange jd: Int) {
        let a = jd + 32044
        let b = (4 * a + 3) / 146097
        let c = a - 146097 * b / 4
        let d = (4 * c + 3) / 1461
        let e = c - 1461 * d / 4
        let m = (5 * e + 2) / 153
        year = 100 * b + d - 4800 + m / 10
        month = m + 3 - 12 * (m / 10)
        day = e - (153 * m + 2) / 5 + 1
    }
}
