/// The big-endian fields of custody entries and record headers, in the manner of the TLS
/// presentation language RFC 9162 uses: fixed-width unsigned integers, and strings as
/// `opaque<0..2^16-1>` (a 2-byte length, then the UTF-8 bytes).
struct CanonicalWriter {
    private(set) var bytes: [UInt8] = []

    mutating func u8(_ value: UInt8) { bytes.append(value) }

    mutating func u32(_ value: UInt32) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ value: UInt64) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends `text` as `opaque<0..2^16-1>`; `field` names it in the error.
    /// - Throws: `CustodyError.invalidEvent` when the UTF-8 is longer than 65,535 bytes.
    mutating func string(_ text: String, field: String) throws(CustodyError) {
        let utf8 = Array(text.utf8)
        guard let length = UInt16(exactly: utf8.count) else {
            throw .invalidEvent(field: field, reason: "\(utf8.count) bytes of UTF-8, at most 65,535 fit")
        }
        withUnsafeBytes(of: length.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }
}

/// Why stored bytes could not be decoded; the text names the field.
public struct CanonicalDecodeFailure: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}

/// Reads what `CanonicalWriter` wrote, refusing short input, invalid UTF-8 and trailing bytes.
struct CanonicalReader {
    private let bytes: ArraySlice<UInt8>
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    private mutating func take(_ count: Int, _ field: String) throws(CanonicalDecodeFailure) -> ArraySlice<UInt8> {
        guard bytes.endIndex - position >= count else { throw CanonicalDecodeFailure(reason: "\(field): input ends early") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    mutating func u8(_ field: String) throws(CanonicalDecodeFailure) -> UInt8 {
        try take(1, field).first ?? 0
    }

    mutating func u32(_ field: String) throws(CanonicalDecodeFailure) -> UInt32 {
        try take(4, field).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64(_ field: String) throws(CanonicalDecodeFailure) -> UInt64 {
        try take(8, field).reduce(0) { $0 << 8 | UInt64($1) }
    }

    mutating func bytes(_ count: Int, _ field: String) throws(CanonicalDecodeFailure) -> ArraySlice<UInt8> {
        try take(count, field)
    }

    mutating func string(_ field: String) throws(CanonicalDecodeFailure) -> String {
        let length = try take(2, field).reduce(0) { $0 << 8 | Int($1) }
        guard let text = String(validating: try take(length, field), as: UTF8.self) else {
            throw CanonicalDecodeFailure(reason: "\(field): not UTF-8")
        }
        return text
    }

    /// Everything not read yet.
    mutating func rest() -> ArraySlice<UInt8> {
        defer { position = bytes.endIndex }
        return bytes[position...]
    }

    /// - Throws: when bytes are left over: a canonical encoding has exactly one length.
    func finish(_ what: String) throws(CanonicalDecodeFailure) {
        guard position == bytes.endIndex else {
            throw CanonicalDecodeFailure(reason: "\(what): \(bytes.endIndex - position) bytes after the end")
        }
    }
}
