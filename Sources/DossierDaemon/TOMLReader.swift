import DossierText
import Foundation
import TOMLKit

/// Typed, strict access to one TOML table: every getter names the key path in its error, and
/// `rejectUnknownKeys()` catches typos (a misspelt key must not silently fall back to a default).
///
/// A value type over TOMLKit's reference-typed table; used on one thread while loading.
struct TOMLReader {
    let file: String
    let prefix: String
    private let table: TOMLTable
    private var used: Set<String> = []

    init(file: String, table: TOMLTable, prefix: String = "") {
        self.file = file
        self.table = table
        self.prefix = prefix
    }

    /// Parses a whole file.
    static func parse(file: String, text: String) throws(ConfigError) -> TOMLReader {
        do {
            return TOMLReader(file: file, table: try TOMLTable(string: text))
        } catch let error as TOMLParseError {
            throw ConfigError(
                file: file, key: "",
                problem: DaemonText.Config.syntax(error.description, line: error.source.begin.line, column: error.source.begin.column))
        } catch {
            throw ConfigError(file: file, key: "", problem: DaemonText.Config.notTOML("\(error)"))
        }
    }

    /// The keys this table holds, asked for or not.
    var keys: Set<String> { Set(table.keys) }

    func path(_ key: String) -> String { prefix.isEmpty ? key : "\(prefix).\(key)" }

    /// The problem `problem` at `key` of this table.
    func error(_ key: String, _ problem: Bilingual) -> ConfigError {
        ConfigError(file: file, key: path(key), problem: problem)
    }

    /// The problem `problem` (no Chinese words for it yet) at `key` of this table.
    func error(_ key: String, _ problem: String) -> ConfigError {
        ConfigError(file: file, key: path(key), problem: problem)
    }

    private mutating func value(_ key: String) -> TOMLValueConvertible? {
        used.insert(key)
        return table[key]
    }

    mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let raw = value(key) else { return nil }
        guard let text = raw.string else { throw error(key, DaemonText.Config.expectedString) }
        return text
    }

    mutating func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let text = try string(key) else { throw error(key, DaemonText.Config.missing) }
        guard !text.isEmpty else { throw error(key, DaemonText.Config.empty) }
        return text
    }

    mutating func int(_ key: String, range: ClosedRange<Int>) throws(ConfigError) -> Int? {
        guard let raw = value(key) else { return nil }
        guard let number = raw.int else { throw error(key, DaemonText.Config.expectedInteger) }
        guard range.contains(number) else {
            throw error(key, DaemonText.Config.outside("\(number)", lower: "\(range.lowerBound)", upper: "\(range.upperBound)"))
        }
        return number
    }

    mutating func double(_ key: String, range: ClosedRange<Double>) throws(ConfigError) -> Double? {
        guard let raw = value(key) else { return nil }
        guard let number = raw.double ?? raw.int.map(Double.init) else { throw error(key, DaemonText.Config.expectedNumber) }
        guard range.contains(number) else {
            throw error(key, DaemonText.Config.outside("\(number)", lower: "\(range.lowerBound)", upper: "\(range.upperBound)"))
        }
        return number
    }

    mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let raw = value(key) else { return nil }
        guard let flag = raw.bool else { throw error(key, DaemonText.Config.expectedBool) }
        return flag
    }

    mutating func strings(_ key: String) throws(ConfigError) -> [String]? {
        guard let raw = value(key) else { return nil }
        if let single = raw.string { return [single] }
        guard let array = raw.array else { throw error(key, DaemonText.Config.expectedStrings) }
        var out: [String] = []
        for (i, item) in array.enumerated() {
            guard let text = item.string else {
                throw ConfigError(file: file, key: "\(path(key))[\(i)]", problem: DaemonText.Config.expectedString)
            }
            out.append(text)
        }
        return out
    }

    /// A duration: seconds as a number, or a string like `"500ms"`, `"5s"`, `"10m"`, `"72h"`, `"7d"`.
    mutating func duration(_ key: String) throws(ConfigError) -> TimeInterval? {
        guard let raw = value(key) else { return nil }
        let seconds: TimeInterval
        if let number = raw.double ?? raw.int.map(Double.init) {
            guard number >= 0 else { throw error(key, DaemonText.Config.negative) }
            seconds = number
        } else {
            guard let text = raw.string, let parsed = Self.parseDuration(text) else {
                throw error(key, DaemonText.Config.expectedDuration)
            }
            seconds = parsed
        }
        // Durations become NIO and Swift time amounts (nanoseconds in 64 bits): `inf` or
        // "1e12s" would trap at start.
        guard seconds.isFinite, seconds <= Self.longestDuration else {
            throw error(key, DaemonText.Config.outside("\(seconds) s", lower: "0 s", upper: "\(Int(Self.longestDuration)) s (100 years)"))
        }
        return seconds
    }

    /// The longest duration a key takes.
    static let longestDuration: TimeInterval = 100 * 365 * 86_400

    /// A size: bytes as an integer, or a string like `"64KiB"`, `"8GiB"`.
    mutating func size(_ key: String) throws(ConfigError) -> UInt64? {
        guard let raw = value(key) else { return nil }
        if let bytes = raw.int {
            guard bytes > 0 else { throw error(key, DaemonText.Config.notPositive) }
            return UInt64(bytes)
        }
        guard let text = raw.string, let bytes = Self.parseSize(text) else {
            throw error(key, DaemonText.Config.expectedSize)
        }
        return bytes
    }

    mutating func table(_ key: String) throws(ConfigError) -> TOMLReader? {
        guard let raw = value(key) else { return nil }
        guard let sub = raw.table else { throw error(key, DaemonText.Config.expectedTable) }
        return TOMLReader(file: file, table: sub, prefix: path(key))
    }

    mutating func tables(_ key: String) throws(ConfigError) -> [TOMLReader] {
        guard let raw = value(key) else { return [] }
        guard let array = raw.array else { throw error(key, DaemonText.Config.expectedTables(key)) }
        var out: [TOMLReader] = []
        for (i, item) in array.enumerated() {
            guard let sub = item.table else {
                throw ConfigError(file: file, key: "\(path(key))[\(i)]", problem: DaemonText.Config.expectedTable)
            }
            out.append(TOMLReader(file: file, table: sub, prefix: "\(path(key))[\(i)]"))
        }
        return out
    }

    /// The whole table decoded with `Decodable` (for value types owned by other modules).
    func decode<T: Decodable>(_ type: T.Type) throws(ConfigError) -> T {
        do {
            return try TOMLDecoder().decode(type, from: table)
        } catch let error as DecodingError {
            let context: DecodingError.Context
            switch error {
            case let .keyNotFound(_, c), let .valueNotFound(_, c), let .typeMismatch(_, c), let .dataCorrupted(c):
                context = c
            @unknown default:
                throw ConfigError(file: file, key: prefix, problem: DaemonText.Config.invalid("\(error)"))
            }
            let inner = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ConfigError(
                file: file, key: [prefix, inner].filter { !$0.isEmpty }.joined(separator: "."),
                problem: DaemonText.Config.invalid(context.debugDescription))
        } catch {
            throw ConfigError(file: file, key: prefix, problem: DaemonText.Config.invalid("\(error)"))
        }
    }

    /// Fails on any key of this table that no getter asked for.
    func rejectUnknownKeys() throws(ConfigError) {
        if let unknown = table.keys.sorted().first(where: { !used.contains($0) }) {
            throw error(unknown, DaemonText.Config.unknownKey)
        }
    }

    static func parseDuration(_ text: String) -> TimeInterval? {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number >= 0 {
                return number * factor
            }
        }
        return nil
    }

    static func parseSize(_ text: String) -> UInt64? {
        let units: [(String, UInt64)] = [("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("TiB", 1 << 40), ("B", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let number = UInt64(text.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)), number > 0 {
                return number.multipliedReportingOverflow(by: factor).overflow ? nil : number * factor
            }
        }
        return UInt64(text)
    }
}
