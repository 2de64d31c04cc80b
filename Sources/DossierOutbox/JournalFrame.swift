/// The on-disk framing of journal and snapshot files.
///
/// A file starts with 8 magic bytes; then frames of `length u32 LE | crc u32 LE | type u8 |
/// payload`, where `length` counts the payload and the CRC-32C covers type and payload.
/// Zeros from a frame boundary to the end of the file are the unused preallocated part of a
/// segment, not data.
///
/// Every group commit in a segment starts with a batch marker, an empty frame of its own type.
/// A crash during a commit's write can persist its pages in any order, leaving intact frames
/// after a bad spot; those all belong to the last batch, which was never acknowledged. A bad
/// spot with a marker after it lies in a batch that was made durable before the next one was
/// written: that is damage.
enum JournalFrame {
    static let headerSize = 9
    static let maxPayload = 16 << 20
    static let segmentMagic: [UInt8] = Array("DOSJRNL2".utf8)
    /// Segments written before batch markers: still read, with a bad spot judged torn only
    /// when no intact frame at all follows it.
    static let unmarkedSegmentMagic: [UInt8] = Array("DOSJRNL1".utf8)
    static let snapshotMagic: [UInt8] = Array("DOSSNAP1".utf8)
    /// The type of the batch marker frame (never an event type).
    static let batchType: UInt8 = 0xFF
    /// The marker's whole frame: no payload, so always the same bytes.
    static let batchMarker: [UInt8] = {
        var bytes: [UInt8] = []
        append(type: batchType, payload: [], to: &bytes)
        return bytes
    }()

    /// What a scanned file is, which says the magic it starts with and how a bad spot in it
    /// is judged.
    enum Kind {
        case snapshot
        /// A segment of either version.
        case segment
    }

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
        /// The unusable bytes are what a crash mid-commit leaves: no batch marker follows the
        /// bad spot (in a `DOSJRNL1` segment, no intact frame at all). Otherwise it is damage.
        var looksTorn: Bool
    }

    /// Calls `body` for each intact frame after the magic other than batch markers; returns
    /// where it stopped, or nil at a clean end. `body` may throw to stop the scan.
    static func scan<E: Error>(
        _ file: UnsafeRawBufferPointer, _ kind: Kind,
        _ body: (_ offset: Int, _ type: UInt8, _ payload: UnsafeRawBufferPointer) throws(E) -> Void
    ) throws(E) -> Stop? {
        let magics = kind == .snapshot ? [snapshotMagic] : [segmentMagic, unmarkedSegmentMagic]
        let magicSize = snapshotMagic.count
        guard file.count >= magicSize else {
            let isPrefix = magics.contains { file.elementsEqual($0.prefix(file.count)) }
            return Stop(offset: 0, reason: .badHeader, looksTorn: isPrefix)
        }
        guard let magic = magics.first(where: { file.prefix(magicSize).elementsEqual($0) }) else {
            return Stop(offset: 0, reason: .badHeader, looksTorn: false)
        }
        let looksTorn: (Int) -> Bool =
            magic == segmentMagic
            ? { !hasBatchMarker(file, after: $0) } : { !hasIntactFrame(file, after: $0) }
        var offset = magicSize
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
                return Stop(offset: offset, reason: .badLength, looksTorn: looksTorn(offset))
            }
            guard remaining >= headerSize + length else {
                return Stop(offset: offset, reason: .badLength, looksTorn: looksTorn(offset))
            }
            let body8 = UnsafeRawBufferPointer(rebasing: file[(offset + 8)..<(offset + headerSize + length)])
            guard CRC32C.update(0, body8) == crc else {
                return Stop(offset: offset, reason: .checksumMismatch, looksTorn: looksTorn(offset))
            }
            // Only the marker itself is skipped: a frame of its type with a payload is handed on,
            // and does not decode.
            if body8[0] != batchType || length != 0 { try body(offset, body8[0], UnsafeRawBufferPointer(rebasing: body8[1...])) }
            offset += headerSize + length
        }
        return nil
    }

    /// Whether a batch marker starts at some byte position after `offset`: a later group
    /// commit, written only once the one holding `offset` was durable. The marker's bytes
    /// inside a later frame's payload (a peer's error text quoted in a record) can only make a
    /// torn batch look like damage, never damage look torn.
    private static func hasBatchMarker(_ file: UnsafeRawBufferPointer, after offset: Int) -> Bool {
        // Length and CRC as one word: the search runs through the preallocated megabyte.
        let head = batchMarker.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        var start = offset + 1
        while start + headerSize <= file.count {
            if file.loadUnaligned(fromByteOffset: start, as: UInt64.self) == head && file[start + 8] == batchType { return true }
            start += 1
        }
        return false
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
