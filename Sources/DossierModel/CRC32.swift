/// CRC-32 (ISO-HDLC polynomial, as used by PNG and zip).
package enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// The CRC of `bytes`, continuing from `crc` (the value a previous call returned).
    package static func checksum(_ bytes: some Collection<UInt8>, continuing crc: UInt32 = 0) -> UInt32 {
        if let contiguous = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: crc) }) {
            return contiguous
        }
        var value = ~crc
        for byte in bytes { value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8) }
        return ~value
    }

    /// Same as `checksum` over a raw buffer, for large filler chunks.
    package static func checksum(_ buffer: UnsafeRawBufferPointer, continuing crc: UInt32) -> UInt32 {
        var value = ~crc
        table.withUnsafeBufferPointer { table in
            for byte in buffer { value = table[Int((value ^ UInt32(byte)) & 0xFF)] ^ (value >> 8) }
        }
        return ~value
    }
}
