import DossierModel

/// The framing of the custody files (docs/custody-log.md, "Files").
///
/// A file starts with 8 magic bytes, then records:
///
/// ```
/// u32 length           payload bytes, big-endian
/// u32 payloadCRC       CRC-32 (ISO-HDLC) of the payload
/// u32 headerCRC        CRC-32 of the 8 bytes before
/// payload
/// ```
///
/// The header has a checksum of its own so that a damaged length is told apart from a torn
/// write. Each group commit starts with a **batch marker**, a record with an empty payload (no
/// entry or checkpoint is empty). Appends only ever add bytes at the end, but a crash during
/// one can leave its pages on the disk in any order: a record short, or a page of it still
/// zeros (or stale) with the rest of the batch intact after it. Hence:
/// - a whole header's worth or more of nothing but zeros from a record's start to the end of
///   the file: **unused space** (the log writes zeros ahead of its end, and a write a crash
///   stopped may also leave zeros); the records end there, and nothing is lost, since no
///   record that is all zeros was ever acknowledged;
/// - fewer bytes left than a header, or a header whose payload runs past the end of the file:
///   a **torn tail**, never acknowledged;
/// - a header or payload checksum that fails on bytes that are all there: a **torn tail** when
///   it lies in the last batch (no marker after it; in a file written before markers, no
///   intact record at all after it), **damage** otherwise: a later batch is written only once
///   the one before is durable.
enum RecordFile {
    static let entriesMagic: [UInt8] = Array("DOSCUST1".utf8)
    static let checkpointsMagic: [UInt8] = Array("DOSCKPT1".utf8)
    static let headerSize = 12
    /// Far above any record (an entry is at most 4 strings of 64 KiB; a checkpoint a few KiB).
    static let maxPayload = 1 << 20

    /// The marker that starts each batch: a record with an empty payload, always these bytes.
    static let batchMarker: [UInt8] = {
        var bytes: [UInt8] = []
        append([], to: &bytes)
        return bytes
    }()

    /// Appends `payload` as one record.
    static func append(_ payload: [UInt8], to out: inout [UInt8]) {
        var header = CanonicalWriter()
        header.u32(UInt32(payload.count))
        header.u32(CRC32.checksum(payload))
        header.u32(CRC32.checksum(header.bytes))
        out.append(contentsOf: header.bytes)
        out.append(contentsOf: payload)
    }

    /// Where reading stopped before the end of a file.
    enum Stop: Equatable {
        /// The bytes from `offset` on are a torn write (see the type's comment).
        case torn(offset: Int)
        /// Record `index`, at `offset`, is damaged.
        case damaged(index: Int, offset: Int, RecordDamage)
    }

    /// The intact records of a file, in order.
    struct Scan {
        /// Each intact record's payload and the byte offset of its header.
        var records: [(offset: Int, payload: ArraySlice<UInt8>)] = []
        /// Where the intact part ends: after the last intact record, the magic, or 0 when not
        /// even the magic is whole.
        var end = 0
        /// Nil when the file ends cleanly after a record, or in unused zeros.
        var stop: Stop?
        /// What was wrong with the record a torn tail starts at, when its bytes were all there:
        /// damage after all if that record was acknowledged (a checkpoint covers it).
        var tornRecord: RecordDamage?
        /// Whether a batch marker was read: the file is written by a build that marks commits.
        var sawMarker = false
    }

    /// Reads the records of `file` (batch markers skipped), stopping at the first that is torn
    /// or damaged.
    static func scan(_ file: [UInt8], magic: [UInt8]) -> Scan {
        var scan = Scan()
        guard file.count >= magic.count else {
            // A file created but not fully initialised before a crash: nothing was acknowledged.
            scan.stop =
                file.elementsEqual(magic.prefix(file.count))
                ? .torn(offset: 0)
                : .damaged(index: 0, offset: 0, .badMagic)
            return scan
        }
        guard file.starts(with: magic) else {
            scan.stop = .damaged(index: 0, offset: 0, .badMagic)
            return scan
        }
        var offset = magic.count
        scan.end = offset
        var afterMarker = false
        // A record at `offset` whose bytes are all there but fail `damage`'s check.
        func badRecord(_ damage: RecordDamage) {
            let inLastBatch = afterMarker ? !hasMarker(file, after: offset) : !hasIntactRecord(file, after: offset)
            if inLastBatch {
                scan.stop = .torn(offset: offset)
                scan.tornRecord = damage
            } else {
                scan.stop = .damaged(index: scan.records.count, offset: offset, damage)
            }
        }
        while offset < file.count {
            let index = scan.records.count
            guard file.count - offset >= headerSize else {
                scan.stop = .torn(offset: offset)
                return scan
            }
            let length = Int(u32(file, at: offset))
            let payloadCRC = u32(file, at: offset + 4)
            guard CRC32.checksum(file[offset..<offset + 8]) == u32(file, at: offset + 8) else {
                // Tested only where a header does not read: testing the rest at every record
                // would make the scan quadratic.
                if !file[offset...].allSatisfy({ $0 == 0 }) { badRecord(.headerChecksum) }
                return scan
            }
            guard length <= maxPayload else {
                scan.stop = .damaged(index: index, offset: offset, .oversized(length: length))
                return scan
            }
            let payloadStart = offset + headerSize
            guard file.count - payloadStart >= length else {
                scan.stop = .torn(offset: offset)
                return scan
            }
            let payload = file[payloadStart..<payloadStart + length]
            guard CRC32.checksum(payload) == payloadCRC else {
                badRecord(.payloadChecksum)
                return scan
            }
            if length == 0 {
                afterMarker = true
                scan.sawMarker = true
            } else {
                scan.records.append((offset, payload))
            }
            offset = payloadStart + length
            scan.end = offset
        }
        return scan
    }

    /// Whether a batch marker starts at some byte after `offset`. The marker's bytes inside a
    /// later payload can only make a torn batch look like damage, never damage look torn.
    private static func hasMarker(_ file: [UInt8], after offset: Int) -> Bool {
        // Word compares: the search runs through the megabyte of zeros written ahead.
        let marker = batchMarker.withUnsafeBytes {
            ($0.loadUnaligned(as: UInt64.self), $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        }
        return file.withUnsafeBytes { file in
            var start = offset + 1
            while start + headerSize <= file.count {
                if file.loadUnaligned(fromByteOffset: start, as: UInt64.self) == marker.0,
                    file.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self) == marker.1
                {
                    return true
                }
                start += 1
            }
            return false
        }
    }

    /// Whether an intact record (header and payload checksums right) starts at some byte
    /// after `offset`.
    private static func hasIntactRecord(_ file: [UInt8], after offset: Int) -> Bool {
        file.withUnsafeBytes { file in
            var start = offset + 1
            while start + headerSize <= file.count {
                // A header of zeros never checks out (the CRC of eight zeros is not zero).
                let word = file.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                let crc = UInt32(bigEndian: file.loadUnaligned(fromByteOffset: start + 8, as: UInt32.self))
                let length = Int(UInt32(truncatingIfNeeded: UInt64(bigEndian: word) >> 32))
                if word | UInt64(crc) != 0, length <= maxPayload, file.count - start - headerSize >= length,
                    CRC32.checksum(UnsafeRawBufferPointer(rebasing: file[start..<start + 8]), continuing: 0) == crc,
                    CRC32.checksum(UnsafeRawBufferPointer(rebasing: file[start + headerSize..<start + headerSize + length]), continuing: 0)
                        == UInt32(bigEndian: file.loadUnaligned(fromByteOffset: start + 4, as: UInt32.self))
                {
                    return true
                }
                start += 1
            }
            return false
        }
    }

    /// The big-endian u32 at `offset` (the caller has checked that 4 bytes are there).
    private static func u32(_ file: [UInt8], at offset: Int) -> UInt32 {
        file[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }
}
