import Foundation

/// The national directory of authorities (docs/directory.md): who may exchange archives, at
/// which URL, by which modes, with which server keys, and whether each is active. Published by
/// the directory operator as attached CMS over this JSON (`SignedDirectory`). A value type:
/// `decode` validates every field, so a decoded directory is a usable one.
public struct AuthorityDirectory: Codable, Sendable, Equatable {
    /// Whether an authority may exchange archives now.
    public enum Status: String, Codable, Sendable, CaseIterable { case active, suspended }

    /// How an authority can be reached: `push`, it accepts our PUTs; `pull`, it fetches from us.
    public enum Mode: String, Codable, Sendable, CaseIterable { case push, pull }

    /// One authority of the directory.
    public struct Entry: Codable, Sendable, Equatable {
        /// The 6-digit division code, as in its certificates' `serialNumber`.
        public var code: String
        public var name: String
        public var nameZh: String
        /// Base URL of its peer server, `https://`, no trailing slash.
        public var url: String
        public var modes: [Mode]
        /// Base64 SHA-256 digests of the SubjectPublicKeyInfo its server may present; empty:
        /// any key of a certificate naming `code`.
        public var spkiSha256: [String]
        public var status: Status

        /// The pins as raw digests (validated by `decode`: each is 32 bytes).
        public var pins: [[UInt8]] { spkiSha256.compactMap { Data(base64Encoded: $0).map { [UInt8]($0) } } }

        public init(
            code: String, name: String, nameZh: String, url: String, modes: [Mode], spkiSha256: [String] = [],
            status: Status = .active
        ) {
            (self.code, self.name, self.nameZh, self.url) = (code, name, nameZh, url)
            (self.modes, self.spkiSha256, self.status) = (modes, spkiSha256, status)
        }
    }

    /// Grows with every issue; a directory is never replaced by one with a lower serial, nor by
    /// another with the same serial.
    public var serial: UInt64
    public var issuedAt: Date
    /// When the operator promises the next issue; past it the directory is stale (still used).
    public var nextUpdate: Date
    /// Who issued it (the operator's name), informative.
    public var issuer: String
    public var authorities: [Entry]

    public init(serial: UInt64, issuedAt: Date, nextUpdate: Date, issuer: String, authorities: [Entry]) {
        (self.serial, self.issuedAt, self.nextUpdate, self.issuer, self.authorities) = (
            serial, issuedAt, nextUpdate, issuer, authorities
        )
    }

    /// The entry of authority `code`, if listed.
    public func entry(_ code: String) -> Entry? { authorities.first { $0.code == code } }

    /// Reads and validates the JSON of a directory (dates RFC 3339 in UTC, e.g.
    /// `2026-12-06T10:00:00Z`).
    /// - Throws: `DirectoryError.malformed` when it is not such JSON, `.invalid` naming the
    ///   field when a value is not acceptable.
    public static func decode(_ json: [UInt8]) throws(DirectoryError) -> AuthorityDirectory {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let directory: AuthorityDirectory
        do { directory = try decoder.decode(AuthorityDirectory.self, from: Data(json)) } catch {
            throw .malformed("\(error)")
        }
        try directory.validate()
        return directory
    }

    /// The canonical JSON (sorted keys, RFC 3339 dates) that the operator signs.
    public func encoded() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding plain strings, numbers and dates cannot fail.
        return (try? encoder.encode(self)).map { [UInt8]($0) } ?? []
    }

    /// Whether this directory may replace `current` (nil: none yet).
    /// - Throws: `DirectoryError.rollback` for a lower serial, or the same serial with other content.
    public func checkSuccession(of current: AuthorityDirectory?) throws(DirectoryError) {
        guard let current, self != current else { return }
        guard serial > current.serial else { throw .rollback(serial: serial, current: current.serial) }
    }

    /// Checks every field.
    /// - Throws: `DirectoryError.invalid` naming the first bad field.
    public func validate() throws(DirectoryError) {
        guard serial >= 1 else { throw .invalid(field: "serial", "must be at least 1") }
        guard nextUpdate > issuedAt else { throw .invalid(field: "nextUpdate", "must be after issuedAt") }
        var seen = Set<String>()
        for (index, entry) in authorities.enumerated() {
            let field = "authorities[\(index)]"
            guard entry.code.utf8.count == 6, entry.code.utf8.allSatisfy({ (48...57).contains($0) }) else {
                throw .invalid(field: "\(field).code", "\"\(entry.code)\" is not a 6-digit division code")
            }
            guard seen.insert(entry.code).inserted else { throw .invalid(field: "\(field).code", "\(entry.code) is listed twice") }
            guard entry.url.hasPrefix("https://"), !entry.url.hasSuffix("/"), URL(string: entry.url)?.host != nil else {
                throw .invalid(field: "\(field).url", "\"\(entry.url)\" is not an https:// URL without a trailing slash")
            }
            guard !entry.modes.isEmpty, Set(entry.modes).count == entry.modes.count else {
                throw .invalid(field: "\(field).modes", "expected push, pull or both, each once")
            }
            for pin in entry.spkiSha256 where Data(base64Encoded: pin)?.count != 32 {
                throw .invalid(field: "\(field).spkiSha256", "\"\(pin)\" is not a base64 SHA-256 digest (44 characters)")
            }
        }
    }
}

/// Why a directory, or a signed directory, was refused.
public enum DirectoryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The content is not a directory's JSON.
    case malformed(String)
    /// A field holds a value a directory may not have.
    case invalid(field: String, String)
    /// The signature is not an attached CMS signature of a trusted, valid, unrevoked signer:
    /// the verifier's reasons (codes and details).
    case signature([String])
    /// The serial does not grow past the directory in force.
    case rollback(serial: UInt64, current: UInt64)

    public var description: String {
        switch self {
        case let .malformed(why): return "not a directory: \(why)"
        case let .invalid(field, why): return "\(field): \(why)"
        case let .signature(reasons): return "signature refused: \(reasons.joined(separator: "; "))"
        case let .rollback(serial, current):
            return "serial \(serial) does not follow serial \(current) in force (a rollback, or another directory with the same serial)"
        }
    }
}
