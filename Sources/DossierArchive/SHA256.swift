import DossierSystem
import Foundation

/// Incremental SHA-256 through OpenSSL's EVP interface (the fast, SHA-NI path).
///
/// Not thread-safe: one instance belongs to one task or thread at a time.
public final class SHA256: MessageDigest {
    /// Starts a new digest. Traps only if OpenSSL cannot allocate a context (out of memory).
    public init() { super.init(.sha256) }

    /// The size and SHA-256 (lowercase hex) of the file at `path`, read in 1 MiB chunks.
    /// Blocking: call it on a `BlockingPool`.
    /// - Throws: `SystemError` when the file cannot be opened or read.
    public static func file(_ path: String) throws(SystemError) -> (size: UInt64, hex: String) {
        let fd = try FileIO.openForReading(path)
        defer { close(fd) }
        let hash = SHA256()
        var size: UInt64 = 0
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try buffer.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return try FileIO.readSome(fd: fd, into: base, count: raw.count, path: path)
                }
            }.get()
            if n == 0 { break }
            buffer.withUnsafeBytes { hash.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            size += UInt64(n)
        }
        return (size, hash.finish().hexString)
    }

    /// The SHA-256 of `bytes`, as lowercase hex.
    public static func hex(of bytes: some Sequence<UInt8>) -> String { DigestAlgorithm.sha256.hex(of: bytes) }
}

extension Sequence<UInt8> {
    /// Lowercase hexadecimal, two digits a byte.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
