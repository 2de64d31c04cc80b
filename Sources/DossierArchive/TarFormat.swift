/// The bits of POSIX ustar (and the GNU and pax extensions readers meet in the wild) that the
/// archive format needs. Pure functions over 512-byte blocks.
enum TarFormat {
    static let blockSize = 512

    /// What an entry is, from its type flag.
    enum Kind: Equatable {
        case file, directory, symlink, hardlink, special, paxExtended, paxGlobal, gnuLongName, gnuLongLink
        case unknown(UInt8)

        init(flag: UInt8) {
            switch flag {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): self = .file
            case UInt8(ascii: "5"): self = .directory
            case UInt8(ascii: "2"): self = .symlink
            case UInt8(ascii: "1"): self = .hardlink
            case UInt8(ascii: "3"), UInt8(ascii: "4"), UInt8(ascii: "6"): self = .special
            case UInt8(ascii: "x"): self = .paxExtended
            case UInt8(ascii: "g"): self = .paxGlobal
            case UInt8(ascii: "L"): self = .gnuLongName
            case UInt8(ascii: "K"): self = .gnuLongLink
            default: self = .unknown(flag)
            }
        }
    }

    /// A decoded header block.
    struct Header: Equatable {
        var name: [UInt8]
        var size: UInt64
        var kind: Kind
    }

    enum HeaderProblem: Error, Equatable {
        case badChecksum, notUstar
        case badNumber(field: String)
    }

    static func isZeroBlock(_ block: UnsafeRawBufferPointer) -> Bool {
        block.allSatisfy { $0 == 0 }
    }

    /// Decodes a 512-byte header block, checking its checksum and magic.
    static func decode(_ block: UnsafeRawBufferPointer) throws(HeaderProblem) -> Header {
        let stored = try number(block, 148, 8, field: "checksum")
        var unsigned: Int64 = 0
        var signed: Int64 = 0
        for i in 0..<blockSize {
            let byte = (148..<156).contains(i) ? UInt8(ascii: " ") : block[i]
            unsigned += Int64(byte)
            signed += Int64(Int8(bitPattern: byte))
        }
        guard UInt64(unsigned) == stored || Int64(bitPattern: stored) == signed else { throw HeaderProblem.badChecksum }
        let magic = Array(block[257..<263])
        guard magic == Array("ustar\0".utf8) || magic == Array("ustar ".utf8) else { throw HeaderProblem.notUstar }
        var name = cString(block, 0, 100)
        let prefix = cString(block, 345, 155)
        // The GNU header keeps other fields in the ustar prefix area; only POSIX ustar has a prefix.
        if magic == Array("ustar\0".utf8), !prefix.isEmpty { name = prefix + [UInt8(ascii: "/")] + name }
        return Header(name: name, size: try number(block, 124, 12, field: "size"), kind: Kind(flag: block[156]))
    }

    /// Encodes a regular-file (or pax extended) header. `name` must fit in 100 bytes; longer or
    /// non-ASCII names go through a preceding pax header (see `paxRecord`).
    static func encode(name: [UInt8], size: UInt64, flag: UInt8, mtime: Int) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: blockSize)
        func put(_ bytes: [UInt8], at offset: Int, max: Int) {
            for (i, b) in bytes.prefix(max).enumerated() { block[offset + i] = b }
        }
        func octal(_ value: UInt64, at offset: Int, width: Int) {
            let digits = String(value, radix: 8)
            let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
            put(Array(padded.utf8), at: offset, max: width - 1)
        }
        put(name, at: 0, max: 100)
        octal(0o644, at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        if size <= 0o77777777777 {
            octal(size, at: 124, width: 12)
        } else {
            // GNU base-256: the size also travels in the pax header, this is for older readers.
            block[124] = 0x80
            for i in 0..<8 { block[135 - i] = UInt8(truncatingIfNeeded: size >> (8 * UInt64(i))) }
        }
        octal(UInt64(max(0, mtime)), at: 136, width: 12)
        block[156] = flag
        put(Array("ustar\0".utf8), at: 257, max: 6)
        put(Array("00".utf8), at: 263, max: 2)
        put(Array("root".utf8), at: 265, max: 32)
        put(Array("root".utf8), at: 297, max: 32)
        for i in 148..<156 { block[i] = UInt8(ascii: " ") }
        let sum = block.reduce(0) { $0 + UInt64($1) }
        octal(sum, at: 148, width: 7)
        block[155] = UInt8(ascii: " ")
        return block
    }

    /// One pax record, `"<len> <key>=<value>\n"`, where len counts the whole record.
    static func paxRecord(key: String, value: [UInt8]) -> [UInt8] {
        let body = Array(" \(key)=".utf8) + value + [UInt8(ascii: "\n")]
        var length = body.count + 1
        while String(length).utf8.count + body.count > length { length += 1 }
        return Array(String(length).utf8) + body
    }

    /// Parses pax records strictly; nil when malformed.
    static func parsePax(_ data: [UInt8]) -> [String: [UInt8]]? {
        var fields: [String: [UInt8]] = [:]
        var i = 0
        while i < data.count {
            guard let space = data[i...].firstIndex(of: UInt8(ascii: " ")), space - i <= 20,
                let length = Int(String(decoding: data[i..<space], as: UTF8.self)),
                length > space - i + 1, length <= data.count - i,
                data[i + length - 1] == UInt8(ascii: "\n")
            else { return nil }
            let record = data[(space + 1)..<(i + length - 1)]
            guard let eq = record.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            fields[String(decoding: record[record.startIndex..<eq], as: UTF8.self)] = Array(record[(eq + 1)...])
            i += length
        }
        return fields
    }

    /// Rounds up to a whole number of blocks.
    static func padded(_ size: UInt64) -> UInt64 {
        (size + UInt64(blockSize - 1)) / UInt64(blockSize) * UInt64(blockSize)
    }

    private static func cString(_ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int) -> [UInt8] {
        let field = block[offset..<(offset + length)]
        return Array(field.prefix { $0 != 0 })
    }

    /// Octal (space/NUL padded) or GNU base-256 numbers.
    private static func number(
        _ block: UnsafeRawBufferPointer, _ offset: Int, _ length: Int, field: String
    ) throws(HeaderProblem) -> UInt64 {
        let bytes = block[offset..<(offset + length)]
        if let first = bytes.first, first & 0x80 != 0 {
            // GNU base-256: the bytes after the marker, big-endian; more than 64 bits is refused.
            let rest = bytes.dropFirst()
            guard first == 0x80, rest.dropLast(min(8, rest.count)).allSatisfy({ $0 == 0 }) else {
                throw HeaderProblem.badNumber(field: field)
            }
            return rest.suffix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        var value: UInt64 = 0
        var seenDigit = false
        var ended = false
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "7") where !ended:
                guard value >> 60 == 0 else { throw HeaderProblem.badNumber(field: field) }
                value = value << 3 | UInt64(byte - UInt8(ascii: "0"))
                seenDigit = true
            case UInt8(ascii: " ") where !seenDigit:
                continue
            case 0, UInt8(ascii: " "):
                ended = true
            default:
                throw HeaderProblem.badNumber(field: field)
            }
        }
        guard seenDigit else { throw HeaderProblem.badNumber(field: field) }
        return value
    }
}
