import COpenSSL

/// The digest algorithms of the archive profiles (docs/archive-format.md, "Profiles"), by their
/// BagIt names (`manifest-<name>.txt`).
public enum DigestAlgorithm: String, Sendable, Codable, CaseIterable {
    /// SHA-256 (FIPS 180-4), the `sha256` profile's.
    case sha256
    /// SM3 (GB/T 32905-2016, OID 1.2.156.10197.1.401), the `sm2-sm3` profile's.
    case sm3

    /// OpenSSL's implementation; both are in the default provider of OpenSSL 3.0.
    var evp: OpaquePointer? {
        switch self {
        case .sha256: EVP_sha256()
        case .sm3: EVP_sm3()
        }
    }

    /// The digest of `bytes` in this algorithm, as lowercase hex.
    public func hex(of bytes: some Sequence<UInt8>) -> String {
        let hash = MessageDigest(self)
        hash.update(bytes)
        return hash.finish().hexString
    }
}

/// An incremental digest through OpenSSL's EVP interface, in any `DigestAlgorithm`.
///
/// Not thread-safe: one instance belongs to one task or thread at a time.
public class MessageDigest {
    private let ctx: OpaquePointer
    private let size: Int

    /// Starts a new digest. Traps only if OpenSSL cannot allocate a context (out of memory).
    public init(_ algorithm: DigestAlgorithm) {
        guard let md = algorithm.evp, let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, md, nil) == 1 else {
            fatalError("OpenSSL could not start a \(algorithm.rawValue) context")
        }
        self.ctx = ctx
        size = Int(EVP_MD_get_size(md))
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

    /// Finishes the digest and returns its raw bytes (32 for both algorithms); the instance
    /// must not be used again.
    public func finish() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size)
        var length: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(ctx, $0.baseAddress, &length) }
        return out
    }
}
