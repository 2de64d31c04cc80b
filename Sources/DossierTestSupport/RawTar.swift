import Foundation

/// A deliberately naive tar writer for crafting hostile archives in tests, independent of the
/// code under test: every field is set by hand, nothing is checked.
public struct RawTar {
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// Appends a header block. `sizeField` overrides the size written (to lie about it).
    /// `rawSizeField` puts those 12 bytes there instead (a GNU base-256 size).
    public mutating func header(
        _ name: String, size: Int, flag: Character = "0", linkName: String = "", sizeField: String? = nil,
        rawSizeField: [UInt8]? = nil
    ) {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, _ offset: Int, _ width: Int) {
            for (i, b) in Array(text.utf8).prefix(width).enumerated() { block[offset + i] = b }
        }
        put(name, 0, 100)
        put("0000644", 100, 8)
        put("0000000", 108, 8)
        put("0000000", 116, 8)
        put(sizeField ?? String(format: "%011o", size), 124, 12)
        for (i, b) in (rawSizeField ?? []).prefix(12).enumerated() { block[124 + i] = b }
        put("14712345670", 136, 12)
        block[156] = flag.asciiValue ?? 0
        put(linkName, 157, 100)
        put("ustar", 257, 6)
        put("00", 263, 2)
        for i in 148..<156 { block[i] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(format: "%06o", sum), 148, 6)
        block[154] = 0
        block[155] = 0x20
        bytes += block
    }

    /// Appends content padded to a block.
    public mutating func content(_ data: [UInt8]) {
        bytes += data
        bytes += [UInt8](repeating: 0, count: (512 - data.count % 512) % 512)
    }

    /// A regular file entry, or another type of entry with `data` (`flag` "x" for pax, "L" for a
    /// GNU long name).
    public mutating func file(_ name: String, _ data: [UInt8], flag: Character = "0") {
        header(name, size: data.count, flag: flag)
        content(data)
    }

    /// A pax extended header (type `x`) holding `records`, for the entry that follows.
    public mutating func pax(_ records: [(key: String, value: String)]) {
        var data: [UInt8] = []
        for (key, value) in records {
            let body = " \(key)=\(value)\n"
            var length = body.utf8.count + 1
            while String(length).utf8.count + body.utf8.count > length { length += 1 }
            data += Array("\(length)\(body)".utf8)
        }
        header("PaxHeaders/entry", size: data.count, flag: "x")
        content(data)
    }

    /// The end-of-archive marker.
    public mutating func end() { bytes += [UInt8](repeating: 0, count: 1024) }
}
