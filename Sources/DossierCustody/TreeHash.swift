import DossierArchive

/// A SHA-256 value of the custody tree: a leaf hash, an interior node hash or a root
/// (RFC 9162 §2.1.1).
///
/// Stored inline (a `SIMD32<UInt8>`, no heap allocation) because the log keeps one per entry in
/// memory. In JSON it is 64 lowercase hexadecimal digits.
public struct TreeHash: Hashable, Sendable, Codable, CustomStringConvertible {
    private var storage: SIMD32<UInt8>

    /// A hash from exactly 32 bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        storage = SIMD32()
        for (lane, byte) in bytes.enumerated() { storage[lane] = byte }
    }

    /// A hash from 64 hexadecimal digits (either case); nil for anything else.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for pair in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[pair]), let low = Self.nibble(digits[pair + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        self.init(bytes: bytes)
    }

    /// The 32 bytes.
    public var bytes: [UInt8] { withUnsafeBytes(of: storage) { Array($0) } }

    /// Lowercase hexadecimal.
    public var hex: String { bytes.hexString }

    public var description: String { hex }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let hash = TreeHash(hex: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not 64 hex digits: \(text)"))
        }
        self = hash
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// SHA-256 of the concatenated parts.
    fileprivate static func digest(_ parts: [UnsafeRawBufferPointer]) -> TreeHash {
        let hash = SHA256()
        for part in parts { hash.update(part) }
        var storage = SIMD32<UInt8>()
        for (lane, byte) in hash.finish().prefix(32).enumerated() { storage[lane] = byte }
        return TreeHash(storage: storage)
    }

    private init(storage: SIMD32<UInt8>) { self.storage = storage }

    fileprivate func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        withUnsafeBytes(of: storage, body)
    }
}

/// The hash functions of RFC 9162 §2.1.1, with domain separation between leaves and nodes so
/// that no leaf can pass for an interior node (second-preimage resistance).
public enum TreeHashing {
    /// MTH of the empty tree: SHA-256 of no bytes.
    public static let emptyRoot: TreeHash = TreeHash.digest([])

    /// SHA-256(0x00 || leaf).
    public static func leaf(_ leaf: [UInt8]) -> TreeHash {
        withUnsafeBytes(of: UInt8(0)) { prefix in
            leaf.withUnsafeBytes { TreeHash.digest([prefix, $0]) }
        }
    }

    /// SHA-256(0x01 || left || right).
    public static func node(_ left: TreeHash, _ right: TreeHash) -> TreeHash {
        withUnsafeBytes(of: UInt8(1)) { prefix in
            left.withBytes { l in right.withBytes { r in TreeHash.digest([prefix, l, r]) } }
        }
    }
}
