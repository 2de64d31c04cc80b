#if canImport(Glibc)
    import Glibc
#endif

/// Recognises a document's format from its bytes, never its name, and finds what makes it
/// unusable or unsafe (DA/T 70 usability and security). Works on a `DocumentSample` only; never
/// traps on any bytes.
public enum DocumentFormat {
    /// The accepted format whose signature `sample` starts with (OFD only if its zip central
    /// directory, found in the tail, lists `OFD.xml`); nil for anything else.
    public static func identify(_ sample: DocumentSample) -> MediaType? {
        let head = sample.head
        if head.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: pngSignature) { return .png }
        if head.starts(with: [0x49, 0x49, 0x2A, 0x00]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { return .tiff }
        if head.starts(with: zipSignature), zipEntryNames(sample)?.contains("OFD.xml") == true { return .ofd }
        return nil
    }

    /// Every failed item for one document declared as `declared`: empty, unsafe (security),
    /// unrecognised or damaged (usability), or another format than declared (authenticity).
    public static func inspect(_ sample: DocumentSample, declared: MediaType?) -> [Finding] {
        let path = sample.path
        guard sample.size > 0 else { return [Finding(.usability, "empty-document", "\(path) is empty (0 bytes)")] }
        if let threat = securityThreat(sample) { return [threat] }
        guard let actual = identify(sample) else {
            return [Finding(.usability, "unknown-format", "\(path) is not PDF, OFD, JPEG, PNG or TIFF")]
        }
        var findings: [Finding] = []
        if let declared, declared != actual {
            findings.append(
                Finding(
                    .authenticity, "format-mismatch",
                    "\(path) is declared \(declared.rawValue) but is \(actual.rawValue)"))
        }
        if let damage = structuralDamage(sample, as: actual) {
            findings.append(Finding(.usability, "damaged-document", "\(path): \(damage)"))
        }
        return findings
    }

    /// An executable, a nested archive or an encrypted PDF; nil if none of these.
    public static func securityThreat(_ sample: DocumentSample) -> Finding? {
        let head = sample.head, path = sample.path
        let executables: [(String, [UInt8])] = [
            ("ELF", [0x7F, 0x45, 0x4C, 0x46]), ("PE", [0x4D, 0x5A]), ("script", [0x23, 0x21]),
            ("Mach-O", [0xFE, 0xED, 0xFA, 0xCE]), ("Mach-O", [0xFE, 0xED, 0xFA, 0xCF]),
            ("Mach-O", [0xCE, 0xFA, 0xED, 0xFE]), ("Mach-O", [0xCF, 0xFA, 0xED, 0xFE]),
            ("Mach-O universal", [0xCA, 0xFE, 0xBA, 0xBE]),
        ]
        for (name, magic) in executables where head.starts(with: magic) {
            return Finding(.security, "executable", "\(path) is an executable (\(name))")
        }
        let archives: [(String, [UInt8])] = [
            ("gzip", [0x1F, 0x8B]), ("7z", [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]),
            ("rar", Array("Rar!\u{1A}\u{07}".utf8)), ("xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]),
            ("bzip2", Array("BZh".utf8)), ("zstd", [0x28, 0xB5, 0x2F, 0xFD]),
        ]
        for (name, magic) in archives where head.starts(with: magic) {
            return Finding(.security, "nested-archive", "\(path) is a \(name) archive")
        }
        if head.count >= 262, Array(head[257..<262]) == Array("ustar".utf8) {
            return Finding(.security, "nested-archive", "\(path) is a tar archive")
        }
        if head.starts(with: zipSignature) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]),
            zipEntryNames(sample)?.contains("OFD.xml") != true
        {
            return Finding(.security, "nested-archive", "\(path) is a zip archive that is not OFD")
        }
        if head.starts(with: Array("%PDF-".utf8)),
            contains(head, Array("/Encrypt".utf8)) || contains(sample.tail, Array("/Encrypt".utf8))
        {
            return Finding(.security, "encrypted-pdf", "\(path) is an encrypted PDF")
        }
        return nil
    }

    /// What is missing from a document of format `format`; nil if its structure is complete.
    static func structuralDamage(_ sample: DocumentSample, as format: MediaType) -> String? {
        switch format {
        case .pdf: return pdfDamage(sample)
        case .jpeg: return jpegDamage(sample)
        case .png: return pngDamage(sample)
        case .tiff: return tiffDamage(sample)
        case .ofd: return nil
        }
    }

    package static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    package static let pngEnd: [UInt8] = [0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
    private static let zipSignature: [UInt8] = [0x50, 0x4B, 0x03, 0x04]

    private static func pdfDamage(_ sample: DocumentSample) -> String? {
        let end = Array(sample.tail.suffix(1024))
        guard contains(end, Array("%%EOF".utf8)) else { return "no %%EOF at the end (truncated?)" }
        guard contains(sample.tail, Array("startxref".utf8)) else { return "no startxref before %%EOF" }
        return nil
    }

    private static func jpegDamage(_ sample: DocumentSample) -> String? {
        guard sample.tail.suffix(2).elementsEqual([0xFF, 0xD9]) else { return "no end-of-image marker (truncated?)" }
        // Walk the marker segments in the head: a frame header (SOFn) must come before the scan.
        let head = sample.head
        var offset = 2
        while offset + 4 <= head.count {
            guard head[offset] == 0xFF else { return "broken marker segment at byte \(offset)" }
            let marker = head[offset + 1]
            if marker == 0xFF { offset += 1; continue }
            if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) { return nil }
            if marker == 0xDA || marker == 0xD9 { return "no frame header before the scan" }
            let length = Int(head[offset + 2]) << 8 | Int(head[offset + 3])
            guard length >= 2 else { return "broken marker segment at byte \(offset)" }
            offset += 2 + length
        }
        return "no frame header in the first \(DocumentSample.headLength) bytes"
    }

    private static func pngDamage(_ sample: DocumentSample) -> String? {
        let head = sample.head
        guard head.count >= 33, Array(head[8..<16]) == [0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52] else {
            return "first chunk is not IHDR"
        }
        let stored = head[29..<33].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32.checksum(head[12..<29]) == stored else { return "IHDR checksum is wrong" }
        guard sample.tail.suffix(12).elementsEqual(pngEnd) else { return "no IEND chunk at the end (truncated?)" }
        return nil
    }

    private static func tiffDamage(_ sample: DocumentSample) -> String? {
        let head = sample.head
        guard head.count >= 8 else { return "header shorter than 8 bytes" }
        let bytes = head[4..<8]
        let offset =
            head[0] == 0x49
            ? bytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            : bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard offset >= 8, offset + 2 <= sample.size else { return "first IFD offset \(offset) is outside the file" }
        return nil
    }

    /// Entry names of the zip's central directory, if the end record and the whole directory
    /// lie within the sampled tail.
    static func zipEntryNames(_ sample: DocumentSample) -> [String]? {
        let tail = sample.tail
        guard tail.count >= 22, UInt64(tail.count) <= sample.size else { return nil }
        var end = tail.count - 22
        let lowest = max(0, tail.count - 22 - 65535)
        while end >= lowest {
            if tail[end] == 0x50, tail[end + 1] == 0x4B, tail[end + 2] == 0x05, tail[end + 3] == 0x06 { break }
            end -= 1
        }
        guard end >= lowest else { return nil }
        let directorySize = UInt64(le32(tail, end + 12))
        let directoryOffset = UInt64(le32(tail, end + 16))
        let tailStart = sample.size - UInt64(tail.count)
        guard directoryOffset >= tailStart, directoryOffset + directorySize <= sample.size else { return nil }
        var position = Int(directoryOffset - tailStart)
        var names: [String] = []
        while position + 46 <= tail.count, le32(tail, position) == 0x0201_4B50 {
            let nameLength = Int(le16(tail, position + 28))
            let extraLength = Int(le16(tail, position + 30))
            let commentLength = Int(le16(tail, position + 32))
            guard position + 46 + nameLength <= tail.count else { break }
            names.append(String(decoding: tail[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self))
            position += 46 + nameLength + extraLength + commentLength
        }
        return names
    }

    private static func le16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func le32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(le16(bytes, at)) | UInt32(le16(bytes, at + 2)) << 16
    }

    /// Whether `needle` occurs in `haystack`, by libc's `memchr` for its first byte and `memcmp`
    /// for the rest (`memmem` is hidden without `_GNU_SOURCE`): a byte-at-a-time loop over every
    /// document's head and tail was a visible share of packing's CPU.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { hay in
            needle.withUnsafeBytes { pin in
                guard let hayBase = hay.baseAddress, let pinBase = pin.baseAddress else { return false }
                let last = hay.count - pin.count
                var offset = 0
                while offset <= last, let found = memchr(hayBase + offset, Int32(first), last - offset + 1) {
                    if memcmp(found, pinBase, pin.count) == 0 { return true }
                    offset = hayBase.distance(to: UnsafeRawPointer(found)) + 1
                }
                return false
            }
        }
    }
}
