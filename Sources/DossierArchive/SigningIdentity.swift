import COpenSSL
import Foundation

/// An authority's signing certificate (with its chain) and private key, loaded from PEM files.
///
/// Immutable after loading. OpenSSL objects are reference counted and only read here, so one
/// identity may be used from several threads.
public final class SigningIdentity: @unchecked Sendable {
    // Safe: the X509 and EVP_PKEY objects are never mutated after init; OpenSSL 3 allows
    // concurrent read-only use (signing does not modify the key or certificates).
    let certificate: OpaquePointer
    let chain: [OpaquePointer]
    let key: OpaquePointer
    /// The certificate's fields, including the authority code.
    public let info: CertificateInfo

    /// Loads the certificate file (leaf first, then any intermediates) and the key file.
    /// - Throws: `ArchiveError.credentials` naming the file that is unreadable, empty, or whose
    ///   key does not match the certificate.
    public init(certificateFile: String, keyFile: String) throws {
        var certs = OpenSSL.certificates(pem: try readSmallFile(certificateFile))
        guard !certs.isEmpty else { throw ArchiveError.credentials(path: certificateFile, reason: "no PEM certificate in the file") }
        let keyBytes = try readSmallFile(keyFile)
        guard let key = OpenSSL.withMemoryBIO(keyBytes, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) ?? nil else {
            certs.forEach { X509_free($0) }
            throw ArchiveError.credentials(path: keyFile, reason: "no usable PEM private key (\(OpenSSL.lastError()))")
        }
        let leaf = certs.removeFirst()
        guard X509_check_private_key(leaf, key) == 1 else {
            ERR_clear_error()
            X509_free(leaf)
            certs.forEach { X509_free($0) }
            EVP_PKEY_free(key)
            throw ArchiveError.credentials(path: keyFile, reason: "the key does not match the certificate in \(certificateFile)")
        }
        certificate = leaf
        chain = certs
        self.key = key
        info = CertificateInfo(x509: leaf)
    }

    deinit {
        X509_free(certificate)
        chain.forEach { X509_free($0) }
        EVP_PKEY_free(key)
    }

    /// Makes a detached CMS SignedData (PEM, RFC 5652) over `content`, carrying the signer
    /// certificate and chain, with a signing-time attribute.
    /// - Throws: `ArchiveError.signing` with OpenSSL's reason.
    public func signDetached(_ content: [UInt8]) throws -> [UInt8] {
        try sign(content, flags: CMS_DETACHED | CMS_BINARY) { PEM_write_bio_CMS($0, $1) }
    }

    /// Makes an attached CMS SignedData (DER) over `content`: used for receipts.
    /// - Throws: `ArchiveError.signing` with OpenSSL's reason.
    public func signAttached(_ content: [UInt8]) throws -> [UInt8] {
        try sign(content, flags: CMS_BINARY) { i2d_CMS_bio($0, $1) }
    }

    private func sign(
        _ content: [UInt8], flags: Int32, encode: (OpaquePointer, OpaquePointer) -> Int32
    ) throws -> [UInt8] {
        guard let stack = dossier_sk_x509_new() else { throw ArchiveError.signing(reason: "out of memory") }
        defer { dossier_sk_x509_free(stack) }
        chain.forEach { _ = dossier_sk_x509_push(stack, $0) }
        let encoded: [UInt8]? =
            OpenSSL.withMemoryBIO(content) { bio in
                guard let cms = CMS_sign(certificate, key, stack, bio, UInt32(flags)) else { return nil }
                defer { CMS_ContentInfo_free(cms) }
                return OpenSSL.collect { encode($0, cms) }
            } ?? nil
        guard let encoded else { throw ArchiveError.signing(reason: OpenSSL.lastError()) }
        return encoded
    }
}
