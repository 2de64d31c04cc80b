import Foundation

/// Why a journal payload could not be decoded; turned into a damage report by replay.
enum PayloadDecodeFailure: Error {
    case truncated
    case invalidValue
}

/// Reads the fields written by `ByteWriter`, refusing short or malformed input.
struct ByteReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }

    private mutating func take(_ n: Int) throws(PayloadDecodeFailure) -> Int {
        guard n >= 0, bytes.count - offset >= n else { throw .truncated }
        defer { offset += n }
        return offset
    }

    mutating func u8() throws(PayloadDecodeFailure) -> UInt8 { bytes[try take(1)] }

    mutating func u32() throws(PayloadDecodeFailure) -> UInt32 {
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(4), as: UInt32.self))
    }

    mutating func u64() throws(PayloadDecodeFailure) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: try take(8), as: UInt64.self))
    }

    mutating func i64() throws(PayloadDecodeFailure) -> Int64 { Int64(bitPattern: try u64()) }

    mutating func date() throws(PayloadDecodeFailure) -> Date {
        Date(timeIntervalSince1970: Double(try i64()) / 1_000_000)
    }

    mutating func double() throws(PayloadDecodeFailure) -> Double { Double(bitPattern: try u64()) }

    mutating func string() throws(PayloadDecodeFailure) -> String {
        let count = Int(try u32())
        let start = try take(count)
        guard
            let s = String(
                validating: UnsafeRawBufferPointer(rebasing: bytes[start..<start + count]),
                as: UTF8.self)
        else { throw .invalidValue }
        return s
    }

    mutating func optionalString() throws(PayloadDecodeFailure) -> String? {
        switch try u8() {
        case 0: return nil
        case 1: return try string()
        default: throw .invalidValue
        }
    }

    mutating func optionalDouble() throws(PayloadDecodeFailure) -> Double? {
        switch try u8() {
        case 0: return nil
        case 1: return try double()
        default: throw .invalidValue
        }
    }
}
