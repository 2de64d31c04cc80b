/// Definite-length DER, one element at a time, never reading past its slice.
struct DERReader {
    struct Element {
        var tag: UInt8
        var content: ArraySlice<UInt8>
        /// Tag, length and content.
        var whole: ArraySlice<UInt8>
    }

    private var bytes: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { bytes.isEmpty }

    /// The next element, or nil at the end or at anything but a low-tag, definite-length one
    /// that fits (after which the reader is not at its end).
    mutating func next() -> Element? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[start]
        guard tag & 0x1F != 0x1F else { return nil }
        let first = Int(bytes[start + 1])
        var offset = start + 2
        var length = first
        if first & 0x80 != 0 {
            let octets = first & 0x7F
            guard (1...4).contains(octets), bytes.count >= 2 + octets else { return nil }
            length = 0
            for index in offset..<(offset + octets) { length = length << 8 | Int(bytes[index]) }
            offset += octets
        }
        guard length <= bytes.endIndex - offset else { return nil }
        let end = offset + length
        let element = Element(tag: tag, content: bytes[offset..<end], whole: bytes[start..<end])
        bytes = bytes[end...]
        return element
    }
}

/// DER encoding of a tag, length and content.
enum DERWriter {
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        if content.count < 0x80 {
            out.append(UInt8(content.count))
        } else {
            var length = content.count
            var octets: [UInt8] = []
            while length > 0 {
                octets.insert(UInt8(length & 0xFF), at: 0)
                length >>= 8
            }
            out.append(0x80 | UInt8(octets.count))
            out += octets
        }
        return out + content
    }
}
