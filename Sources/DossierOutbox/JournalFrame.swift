/// The on-disk framing of journal and snapshot files.
///
/// A file starts with 8 magic bytes; then frames of `length u32 LE | crc u32 LE | type u8 |
/// payload`, where `length` counts the payload and the CRC-32C covers type and payload.
/// Zeros from a frame boundary to the end of the file are the unused preallocated part of a
/// segment, not data.
enum JournalFrame {
    static let headerSize = 9
    static let maxPayload = 16 << 20
    static let segmentMagic: [UInt8] = Array("DOSJRNL1".utf8)
    static let snapshotMagic: [UInt8] = Array("DOSSNAP1".utf8)

    static func append(type: UInt8, payload: [UInt8], to out: inout [UInt8]) {
        var crc = withUnsafeBytes(of: type) { CRC32C.update(0, $0) }
        crc = payload.withUnsafeBytes { CRC32C.update(crc, $0) }
        withUnsafeBytes(of: UInt32(payload.count).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: crc.littleEndian) { out.append(contentsOf: $0) }
        out.append(type)
        out.append(contentsOf: payload)
    }

    static func encode(_ event: OutboxEvent, into out: inout [UInt8]) {
        let (type, payload) = event.encoded()
        append(type: type, payload: payload, to: &out)
    }

    /// Where and why a scan stopped before the end of the file.
    struct Stop {
        var offset: Int
        var reason: JournalDamage.Reason
        /// The unusable bytes are what a crash mid-append leaves: no intact frame follows
        /// the bad one. A bad spot with intact frames after it is damage, not a torn write.
        var looksTorn: Bool
    }

    /// Calls `body` for each intact frame after the magic; returns where it stopped, or nil
    /// at a clean end. `body` may throw to stop the scan.
    static func scan<E: Error>(
        _ file: UnsafeRawBufferPointer, magic: [UInt8],
        _ body: (_ offset: Int, _ type: UInt8, _ payload: UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) -> Stop? {
        guard file.count >= magic.count else {
            let isPrefix = file.elementsEqual(magic.prefix(file.count))
            return Stop(offset: 0, reason: .badHeader, looksTorn: isPrefix)
        }
        guard file.prefix(magic.count).elementsEqual(magic) else {
            return Stop(offset: 0, reason: .badHeader, looksTorn: false)
        }
        var offset = magic.count
        while offset < file.count {
            let remaining = file.count - offset
            guard remaining >= headerSize else {
                if file[offset...].allSatisfy({ $0 == 0 }) { return nil }
                return Stop(offset: offset, reason: .badLength, looksTorn: true)
            }
            let length = Int(UInt32(littleEndian: file.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
            let crc = UInt32(littleEndian: file.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self))
            if length == 0 && crc == 0 && file[offset...].allSatisfy({ $0 == 0 }) { return nil }
            guard length <= maxPayload else {
                return Stop(offset: offset, reason: .badLength, looksTorn: !hasIntactFrame(file, after: offset))
            }
            guard remaining >= headerSize + length else {
                return Stop(offset: offset, reason: .badLength, looksTorn: !hasIntactFrame(file, after: offset))
            }
            let body8 = UnsafeRawBufferPointer(rebasing: file[(offset + 8)..<(offset + headerSize + length)])
            guard CRC32C.update(0, body8) == crc else {
                return Stop(offset: offset, reason: .checksumMismatch, looksTorn: !hasIntactFrame(file, after: offset))
            }
            try body(offset, body8[0], UnsafeRawBufferPointer(rebasing: body8[1...]))
            offset += headerSize + length
        }
        return nil
    }

    /// Whether some byte position after `offset` starts a frame whose CRC checks out.
    /// Only frames up to 64 KiB are considered (every event is far smaller), which keeps a
    /// search through garbage to a few checksums per megabyte.
    private static func hasIntactFrame(_ file: UnsafeRawBufferPointer, after offset: Int) -> Bool {
        var start = offset + 1
        while start + headerSize <= file.count {
            let length = Int(UInt32(littleEndian: file.loadUnaligned(fromByteOffset: start, as: UInt32.self)))
            if length <= 65536, start + headerSize + length <= file.count {
                let crc = UInt32(littleEndian: file.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self))
                let body = UnsafeRawBufferPointer(rebasing: file[(start + 8)..<(start + headerSize + length)])
                if CRC32C.update(0, body) == crc { return true }
            }
            start += 1
        }
        return false
    }
}
