/// The text files of a BagIt 1.0 bag (RFC 8493): the declaration, bag-info and the manifests.
/// Parsing is strict and total: malformed input yields nil or an empty result, never a trap.
enum BagDeclaration {
    static let fileName = "bagit.txt"
    static let text = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"

    /// True for a declaration of BagIt 0.97 or 1.0 in UTF-8 (RFC 8493 §2.1.1).
    static func isValid(_ bytes: [UInt8]) -> Bool {
        guard let fields = BagInfo.parse(bytes) else { return false }
        let version = fields.first { $0.0 == "BagIt-Version" }?.1
        let encoding = fields.first { $0.0 == "Tag-File-Character-Encoding" }?.1
        return ["0.97", "1.0"].contains(version ?? "") && encoding?.uppercased() == "UTF-8"
    }
}

/// `bag-info.txt`: ordered `Label: value` lines, continuation lines start with white space.
public enum BagInfo {
    static let fileName = "bag-info.txt"

    /// The labels this project writes and requires (docs/archive-format.md).
    public enum Label {
        public static let sourceOrganization = "Source-Organization"
        public static let externalIdentifier = "External-Identifier"
        public static let baggingDate = "Bagging-Date"
        public static let payloadOxum = "Payload-Oxum"
        public static let softwareAgent = "Bag-Software-Agent"
        public static let origin = "Origin-Authority"
        public static let destination = "Destination-Authority"
        public static let vin = "Vehicle-VIN"
        public static let plate = "Vehicle-Plate"
        public static let schema = "Dossier-Schema"
        /// The archive profile (`ArchiveProfile`); absent in bags of the `sha256` profile made
        /// by other tools or before profiles existed.
        public static let profile = "Signature-Profile"
    }

    /// Renders fields in the given order. Values must not contain line breaks.
    static func render(_ fields: [(String, String)]) -> [UInt8] {
        Array(fields.map { "\($0.0): \($0.1)\n" }.joined().utf8)
    }

    /// Parses the fields in order; nil if the text is not UTF-8 or a line has no label.
    static func parse(_ bytes: [UInt8]) -> [(String, String)]? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var fields: [(String, String)] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            if let first = line.first, first == " " || first == "\t" {
                guard !fields.isEmpty else { return nil }
                fields[fields.count - 1].1 += " " + line.trimmingWhitespace
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let label = line[..<colon].trimmingWhitespace
            guard !label.isEmpty else { return nil }
            fields.append((label, line[line.index(after: colon)...].trimmingWhitespace))
        }
        return fields
    }
}

/// A payload or tag manifest: `<hex digest> <path>` lines (RFC 8493 §2.1.3, §2.2.1), named
/// after the profile's digest (`ArchiveProfile.payloadManifest`, `.tagManifest`); SHA-256 and
/// SM3 digests are both 64 hex digits.
enum Manifest {
    /// Renders entries, percent-encoding `%`, CR and LF in paths as RFC 8493 requires.
    static func render(_ entries: [(path: String, digest: String)]) -> [UInt8] {
        Array(entries.map { "\($0.digest)  \(encode($0.path))\n" }.joined().utf8)
    }

    /// Parses entries; nil if any line is malformed (not UTF-8, bad digest, no path).
    static func parse(_ bytes: [UInt8]) -> [(path: String, digest: String)]? {
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var entries: [(path: String, digest: String)] = []
        for line in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }) {
            guard let gap = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return nil }
            let digest = line[..<gap].lowercased()
            let path = line[gap...].drop { $0 == " " || $0 == "\t" }
            guard digest.count == 64, digest.allSatisfy(\.isHexDigit), !path.isEmpty,
                let decoded = decode(String(path))
            else { return nil }
            entries.append((decoded, digest))
        }
        return entries
    }

    private static func encode(_ path: String) -> String {
        guard path.utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == 0x0A || $0 == 0x0D }) else { return path }
        return path.replacingAll("%", with: "%25").replacingAll("\n", with: "%0A").replacingAll("\r", with: "%0D")
    }

    private static func decode(_ path: String) -> String? {
        guard path.contains("%") else { return path }
        var bytes: [UInt8] = []
        var utf8 = Array(path.utf8)[...]
        while let byte = utf8.popFirst() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16)
            else { return nil }
            bytes.append(value)
            utf8 = utf8.dropFirst(2)
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        let isBlank = { (c: Character) in c == " " || c == "\t" }
        guard let first = firstIndex(where: { !isBlank($0) }), let last = lastIndex(where: { !isBlank($0) }) else { return "" }
        return String(self[first...last])
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
