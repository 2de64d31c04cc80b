import DossierModel
import DossierSystem

/// Writes real, structurally valid PDF, JPEG and PNG files padded to a requested size with
/// incompressible pseudo-random filler placed where readers skip it (a PDF stream object, JPEG
/// comment segments, a private PNG chunk). Files smaller than the bare structure come out at
/// their minimal size.
struct SampleDocuments {
    private static let chunkSize = 1 << 20
    private var buffer = [UInt8](repeating: 0, count: chunkSize)
    private var random: SampleRandom

    init(seed: UInt64) { random = SampleRandom(seed: seed) }

    /// The formats the generator makes.
    enum Format {
        case pdf, jpeg, png

        var mediaType: MediaType {
            switch self {
            case .pdf: .pdf
            case .jpeg: .jpeg
            case .png: .png
            }
        }

        var fileExtension: String {
            switch self {
            case .pdf: "pdf"
            case .jpeg: "jpg"
            case .png: "png"
            }
        }
    }

    mutating func write(_ format: Format, title: String, size: Int, to file: DurableFile) throws(SystemError) {
        switch format {
        case .pdf: try pdf(title: title, size: size, to: file)
        case .jpeg: try jpeg(size: size, to: file)
        case .png: try png(size: size, to: file)
        }
        try file.commit()
    }

    private mutating func pdf(title: String, size: Int, to file: DurableFile) throws(SystemError) {
        let safeTitle = String(title.unicodeScalars.filter { $0.isASCII && $0 != "(" && $0 != ")" && $0 != "\\" })
        let content = "BT /F1 18 Tf 72 770 Td (\(safeTitle)) Tj ET"
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
            "<< /Length \(content.utf8.count) >>\nstream\n\(content)\nendstream",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ]
        var prefix: [UInt8] = Array("%PDF-1.4\n".utf8) + [0x25, 0xE2, 0xE3, 0xCF, 0xD3, 0x0A]
        var offsets: [Int] = []
        for (index, body) in objects.enumerated() {
            offsets.append(prefix.count)
            prefix += Array("\(index + 1) 0 obj\n\(body)\nendobj\n".utf8)
        }
        func fillerHeader(_ n: Int) -> [UInt8] { Array("6 0 obj\n<< /Length \(n) >>\nstream\n".utf8) }
        let fillerFooter = Array("\nendstream\nendobj\n".utf8)
        func trailer(_ xrefAt: Int, _ fillerAt: Int) -> [UInt8] {
            var text = "xref\n0 7\n0000000000 65535 f \n"
            for offset in offsets + [fillerAt] { text += pad10(offset) + " 00000 n \n" }
            text += "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n\(xrefAt)\n%%EOF\n"
            return Array(text.utf8)
        }
        func total(_ n: Int) -> Int {
            let xrefAt = prefix.count + fillerHeader(n).count + n + fillerFooter.count
            return xrefAt + trailer(xrefAt, prefix.count).count
        }
        var n = 0
        for _ in 0..<4 { n = max(0, n + size - total(n)) }
        let xrefAt = prefix.count + fillerHeader(n).count + n + fillerFooter.count
        try file.write(prefix)
        try file.write(fillerHeader(n))
        _ = try filler(n, to: file)
        try file.write(fillerFooter)
        try file.write(trailer(xrefAt, prefix.count))
    }

    private mutating func jpeg(size: Int, to file: DurableFile) throws(SystemError) {
        var head: [UInt8] = [0xFF, 0xD8]
        head += [0xFF, 0xE0, 0x00, 0x10] + Array("JFIF".utf8) + [0x00, 0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00]
        head += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)
        // Baseline 8×8 grey frame; one-code Huffman tables make the single block's scan one byte.
        head += [0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x08, 0x00, 0x08, 0x01, 0x01, 0x11, 0x00]
        let oneCode: [UInt8] = [0x01] + [UInt8](repeating: 0, count: 15) + [0x00]
        head += [0xFF, 0xC4, 0x00, 0x14, 0x00] + oneCode
        head += [0xFF, 0xC4, 0x00, 0x14, 0x10] + oneCode
        let tail: [UInt8] = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3F, 0x00, 0x3F, 0xFF, 0xD9]
        try file.write(head)
        var remaining = size - head.count - tail.count
        let maxPayload = 65533
        while remaining >= 4 {
            var payload = min(maxPayload, remaining - 4)
            if (1..<4).contains(remaining - 4 - payload) { payload -= 4 }
            try file.write([0xFF, 0xFE, UInt8(truncatingIfNeeded: (payload + 2) >> 8), UInt8(truncatingIfNeeded: payload + 2)])
            _ = try filler(payload, to: file)
            remaining -= payload + 4
        }
        try file.write(tail)
    }

    private mutating func png(size: Int, to file: DurableFile) throws(SystemError) {
        var head = DocumentFormat.pngSignature
        head += chunk("IHDR", [0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0])
        // One grey pixel in a stored deflate block, with its Adler-32.
        let idat = chunk("IDAT", [0x78, 0x01, 0x01, 0x02, 0x00, 0xFD, 0xFF, 0x00, 0x80, 0x00, 0x82, 0x00, 0x81])
        let end = DocumentFormat.pngEnd
        try file.write(head)
        let payload = size - head.count - idat.count - end.count - 12
        if payload >= 0 {
            let type = Array("paDd".utf8)
            try file.write(bigEndian(UInt32(payload)) + type)
            let crc = try filler(payload, to: file, crc: CRC32.checksum(type))
            try file.write(bigEndian(crc))
        }
        try file.write(idat)
        try file.write(end)
    }

    /// Writes `count` random bytes; returns the CRC-32 of them continued from `crc`, if given.
    private mutating func filler(_ count: Int, to file: DurableFile, crc: UInt32? = nil) throws(SystemError) -> UInt32 {
        var remaining = count
        var checksum = crc ?? 0
        while remaining > 0 {
            let length = min(remaining, Self.chunkSize)
            // `withUnsafeMutableBytes` only rethrows untyped errors, so the typed error travels in a Result.
            try buffer.withUnsafeMutableBytes { all in
                let part = UnsafeMutableRawBufferPointer(rebasing: all[0..<length])
                random.fill(part)
                if crc != nil { checksum = CRC32.checksum(UnsafeRawBufferPointer(part), continuing: checksum) }
                return Result { () throws(SystemError) in try file.write(UnsafeRawBufferPointer(part)) }
            }.get()
            remaining -= length
        }
        return checksum
    }

    private func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let body = Array(type.utf8) + data
        return bigEndian(UInt32(data.count)) + body + bigEndian(CRC32.checksum(body))
    }

    private func bigEndian(_ value: UInt32) -> [UInt8] {
        [
            UInt8(truncatingIfNeeded: value >> 24), UInt8(truncatingIfNeeded: value >> 16),
            UInt8(truncatingIfNeeded: value >> 8), UInt8(truncatingIfNeeded: value),
        ]
    }

    private func pad10(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 10 - text.count)) + text
    }
}
