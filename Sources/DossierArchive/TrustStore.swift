import COpenSSL
import DossierModel
import Foundation

/// The trust anchors (CA certificates) and optional CRLs against which signers are verified.
///
/// Immutable after loading; OpenSSL's `X509_STORE` is safe for concurrent verifications, and
/// per-verification state (time, purpose) lives in a fresh `X509_STORE_CTX`.
public final class TrustStore: @unchecked Sendable {
    // Safe: `store` is never modified after init; X509_STORE supports concurrent lookups.
    let store: OpaquePointer

    /// Loads every certificate of each CA file and every CRL of each CRL file (PEM). With CRLs
    /// given, revocation is checked for the whole chain.
    /// - Throws: `ArchiveError.credentials` naming a file that holds no certificate or CRL.
    public init(caFiles: [String], crlFiles: [String] = []) throws {
        guard let store = X509_STORE_new() else { throw ArchiveError.signing(reason: "out of memory") }
        self.store = store
        for path in caFiles {
            let certs = OpenSSL.certificates(pem: try readSmallFile(path))
            defer { certs.forEach { X509_free($0) } }
            guard !certs.isEmpty else { throw ArchiveError.credentials(path: path, reason: "no PEM certificate in the trust file") }
            certs.forEach { _ = X509_STORE_add_cert(store, $0) }
        }
        for path in crlFiles {
            let loaded: Int = OpenSSL.withMemoryBIO(try readSmallFile(path)) { bio in
                var count = 0
                while let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                    X509_STORE_add_crl(store, crl)
                    X509_CRL_free(crl)
                    count += 1
                }
                return count
            } ?? 0
            ERR_clear_error()
            guard loaded > 0 else { throw ArchiveError.credentials(path: path, reason: "no PEM CRL in the file") }
        }
        if !crlFiles.isEmpty { X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)) }
    }

    deinit { X509_STORE_free(store) }

    /// Verifies `signer` (with `untrusted` intermediates) up to a trust anchor as of `time`.
    /// Returns nil when trusted, or the finding that says why not.
    func check(signer: OpaquePointer, untrusted: OpaquePointer?, at time: Date) -> Finding? {
        guard let ctx = X509_STORE_CTX_new() else { return Finding(.authenticity, "untrusted-signer", "out of memory") }
        defer { X509_STORE_CTX_free(ctx) }
        guard X509_STORE_CTX_init(ctx, store, signer, untrusted) == 1 else {
            return Finding(.authenticity, "untrusted-signer", OpenSSL.lastError())
        }
        X509_STORE_CTX_set_time(ctx, 0, time_t(time.timeIntervalSince1970))
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_ANY)
        if X509_verify_cert(ctx) == 1 { return nil }
        ERR_clear_error()
        let code = X509_STORE_CTX_get_error(ctx)
        let text = String(decoding: Array(UnsafeRawBufferPointer(start: X509_verify_cert_error_string(Int(code)),
            count: strlen(X509_verify_cert_error_string(Int(code))))), as: UTF8.self)
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            return Finding(.authenticity, "expired-signer", "signer certificate not valid at signing time: \(text)")
        case X509_V_ERR_CERT_REVOKED:
            return Finding(.authenticity, "revoked-signer", text)
        default:
            return Finding(.authenticity, "untrusted-signer", text)
        }
    }
}
