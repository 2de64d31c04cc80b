import Foundation

/// Appends the little-endian, length-prefixed fields of journal payloads.
struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }

    mutating func u32(_ v: UInt32) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func u64(_ v: UInt64) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func i64(_ v: Int64) { u64(UInt64(bitPattern: v)) }

    /// Dates are stored as whole microseconds since 1970: exact to replay, compact to store.
    /// One beyond ±292,000 years is stored as the nearest that fits: writing a record must not
    /// trap, or the daemon would stop at the same record after every restart.
    mutating func date(_ d: Date) {
        let micros = (d.timeIntervalSince1970 * 1_000_000).rounded()
        i64(Int64(exactly: micros) ?? (micros.isNaN ? 0 : micros > 0 ? .max : .min))
    }

    mutating func double(_ v: Double) { u64(v.bitPattern) }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        u32(UInt32(truncatingIfNeeded: utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func optionalString(_ s: String?) {
        if let s { u8(1); string(s) } else { u8(0) }
    }

    mutating func optionalDouble(_ v: Double?) {
        if let v { u8(1); double(v) } else { u8(0) }
    }
}
