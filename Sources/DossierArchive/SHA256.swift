import COpenSSL
import DossierSystem
import Foundation

/// Incremental SHA-256 through OpenSSL's EVP interface (the fast, SHA-NI path).
///
/// Not thread-safe: one instance belongs to one task or thread at a time.
public final class SHA256 {
    private let ctx: OpaquePointer

    /// Starts a new digest. Traps only if OpenSSL cannot allocate a context (out of memory).
    public init() {
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, EVP_sha256(), nil) == 1 else {
            fatalError("OpenSSL could not start a SHA-256 context")
        }
        self.ctx = ctx
    }

    deinit { EVP_MD_CTX_free(ctx) }

    /// Adds bytes to the digest.
    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(ctx, base, bytes.count)
    }

    /// Adds bytes to the digest.
    public func update(_ bytes: some Sequence<UInt8>) {
        let array = Array(bytes)
        array.withUnsafeBytes { update($0) }
    }

    /// Finishes the digest and returns the 32 raw bytes; the instance must not be used again.
    public func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, &length) }
        return out
    }

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
    public static func hex(of bytes: some Sequence<UInt8>) -> String {
        let hash = SHA256()
        hash.update(bytes)
        return hash.finish().hexString
    }
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
