import COpenSSL
import DossierModel
import Foundation
import Synchronization

/// The trust anchors (CA certificates) and optional CRLs against which signers and TLS peers
/// are verified.
///
/// Immutable after loading; OpenSSL's `X509_STORE` is safe for concurrent verifications, and
/// per-verification state (time, purpose, flags) lives in a fresh `X509_STORE_CTX`.
public final class TrustStore: @unchecked Sendable {
    // Safe: `store` and `crls` are never modified after init; X509_STORE supports concurrent
    // lookups, and the CRLs are only read. `verdicts` is Sendable (a Mutex).
    /// The OpenSSL store, for the TLS stacks of this package (libcurl's SSL_CTX takes a
    /// reference to it).
    package let store: OpaquePointer
    /// Whether CRLs were loaded: then revocation is checked for every certificate of a chain.
    public let checksRevocation: Bool
    /// Every CRL loaded (owned), for `isRevoked`.
    private let crls: [OpaquePointer]
    /// What each CRL loaded says of itself, in load order.
    public let revocationLists: [RevocationList]
    /// The trust anchors loaded, in file order (for expiry metrics).
    public let anchors: [CertificateInfo]
    /// Signer chains found trusted under this store: room for every office of the national
    /// network (some 400) several times over, at about a hundred bytes a chain.
    let verdicts = ChainVerdicts(limit: 4096)

    /// Finding codes that say the receiver cannot judge revocation now (a CRL not yet valid,
    /// past its nextUpdate, or missing): the answer may change on the receiver's side, so it
    /// is never a property of the archive.
    public static let transientCodes: Set<String> = ["revocation-unavailable"]

    /// Loads every certificate of each CA file and every CRL of each CRL file (PEM). With CRLs
    /// given, or `requireRevocation` (CRLs are expected from a distribution URL), revocation
    /// is checked for the whole chain, against every CRL loaded: a CA of the chain without a
    /// current CRL makes the chain's revocation unknown (`revocation-unavailable`), never good.
    /// - Throws: `ArchiveError.credentials` naming a file that holds no certificate or CRL.
    public init(caFiles: [String], crlFiles: [String] = [], requireRevocation: Bool = false) throws {
        guard let store = X509_STORE_new() else { throw ArchiveError.signing(reason: "out of memory") }
        self.store = store
        checksRevocation = !crlFiles.isEmpty || requireRevocation
        var crls: [OpaquePointer] = []
        var anchors: [CertificateInfo] = []
        // Freed here if a file is refused; deinit frees them once the store is complete.
        var complete = false
        defer { if !complete { crls.forEach { X509_CRL_free($0) } } }
        for path in caFiles {
            let certs = OpenSSL.certificates(pem: try readSmallFile(path))
            defer { certs.forEach { X509_free($0) } }
            guard !certs.isEmpty else { throw ArchiveError.credentials(path: path, reason: "no PEM certificate in the trust file") }
            // An SM2 intermediate given as trust is checked against its issuer like a carried one.
            SM2Signature.setChainIDs(certs)
            certs.forEach { _ = X509_STORE_add_cert(store, $0) }
            anchors += certs.map { CertificateInfo(x509: $0) }
        }
        for path in crlFiles {
            let loaded: Int =
                OpenSSL.withMemoryBIO(try readSmallFile(path)) { bio in
                    var count = 0
                    while let crl = PEM_read_bio_X509_CRL(bio, nil, nil, nil) {
                        X509_STORE_add_crl(store, crl)
                        crls.append(crl)
                        count += 1
                    }
                    return count
                } ?? 0
            ERR_clear_error()
            guard loaded > 0 else { throw ArchiveError.credentials(path: path, reason: "no PEM CRL in the file") }
        }
        if checksRevocation { X509_STORE_set_flags(store, UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)) }
        self.crls = crls
        revocationLists = crls.map(RevocationList.init(crl:))
        self.anchors = anchors
        complete = true
    }

    deinit {
        crls.forEach { X509_CRL_free($0) }
        X509_STORE_free(store)
    }

    /// Whether a CRL of this store, from the certificate's issuer, lists `certificate` (DER):
    /// for a caller whose connection was verified before the CRL was loaded.
    public func isRevoked(certificate der: [UInt8]) -> Bool {
        guard !crls.isEmpty else { return false }
        guard let cert = OpenSSL.certificate(der[...]) else { return false }
        defer { X509_free(cert) }
        return crls.contains { crl in
            guard X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) == 0 else { return false }
            var entry: OpaquePointer?
            return X509_CRL_get0_by_cert(crl, &entry, cert) == 1
        }
    }

    /// When the first of this store's CRLs stops being current (its `nextUpdate`); nil when
    /// revocation is not checked or no CRL names one. A verdict that relied on the CRLs holds
    /// until then at most.
    public var revocationCurrentUntil: Date? { checksRevocation ? revocationLists.compactMap(\.nextUpdate).min() : nil }

    /// Verifies a CMS `signer` (with `untrusted` intermediates): the chain as of the signing
    /// `time`, then, with CRLs loaded, revocation with the CRLs current at `now` — a CRL issued
    /// after the signing is the best evidence there is, and must not make a genuine archive fail
    /// for being newer. With `trustedTime` (the genTime of a trusted RFC 3161 token on the
    /// signature), a certificate of the chain revoked after that time does not count: the token
    /// proves the signature was made before; one revoked at or before it is `revoked-signer`.
    /// Returns nil when trusted, or the finding that says why not.
    /// A chain found trusted before is not verified again while that verdict holds
    /// (`ChainVerdicts`); one dated by a token is always verified in full. `trusted` is given
    /// the certificates of a chain verified now and found trusted, leaf first (not called when a
    /// kept verdict answers); they stay valid while `signer` and `untrusted` do.
    func check(
        signer: OpaquePointer, untrusted: OpaquePointer?, at time: Date, now: Date = Date(), trustedTime: Date? = nil,
        trusted: ([OpaquePointer]) -> Void = { _ in }
    ) -> Finding? {
        let key = trustedTime == nil ? ChainVerdicts.key(signer: signer, untrusted: untrusted) : nil
        if let key, verdicts.trusts(key, at: time, now: now) { return nil }
        var validity: (after: Date, before: Date)?
        var chain: [OpaquePointer] = []
        let problem = verify(signer, untrusted: untrusted, at: time, purpose: X509_PURPOSE_ANY, revocation: false) { found in
            validity = ChainVerdicts.validity(of: found)
            chain = (0..<dossier_sk_x509_num(found)).compactMap { dossier_sk_x509_value(found, $0) }
        }
        if let problem { return problem }
        if checksRevocation,
            let problem = verify(
                signer, untrusted: untrusted, at: now, purpose: X509_PURPOSE_ANY, revocation: true, ignoreValidityPeriod: true,
                revokedAfter: trustedTime)
        {
            return problem
        }
        if let key, let validity {
            let holdsUntil = min(now.addingTimeInterval(ChainVerdicts.lifetime), revocationCurrentUntil ?? .distantFuture)
            verdicts.remember(key, .init(validAfter: validity.after, validBefore: validity.before, judgedAt: now, holdsUntil: holdsUntil))
        }
        trusted(chain)
        return nil
    }

    /// Verifies a time-stamping authority's certificate (with `untrusted` intermediates) as of
    /// `now` for time-stamping — extendedKeyUsage timeStamping, critical and alone — with
    /// revocation when CRLs are loaded. Returns nil when trusted, or the finding that says why not
    /// (`revocation-unavailable` when a CRL cannot be had now).
    func checkTimestampAuthority(_ certificate: OpaquePointer, untrusted: OpaquePointer?, now: Date = Date()) -> Finding? {
        verify(certificate, untrusted: untrusted, at: now, purpose: X509_PURPOSE_TIMESTAMP_SIGN, revocation: checksRevocation)
    }

    /// Verifies a TLS peer's certificate chain as presented (DER, leaf first) for `purpose`
    /// (`X509_PURPOSE_SSL_CLIENT` for callers of our server) as of `now`, revocation included
    /// unless `revocation` is false. Returns nil when trusted, or the finding that says why not.
    public func checkTLSPeer(chain: [[UInt8]], clientPurpose: Bool, revocation: Bool = true, now: Date = Date()) -> Finding? {
        let certs = chain.compactMap { OpenSSL.certificate($0[...]) }
        defer { certs.forEach { X509_free($0) } }
        guard let leaf = certs.first, certs.count == chain.count, let untrusted = dossier_sk_x509_new() else {
            return Finding(.authenticity, "untrusted-peer", "the certificate chain does not parse")
        }
        defer { dossier_sk_x509_free(untrusted) }
        certs.dropFirst().forEach { _ = dossier_sk_x509_push(untrusted, $0) }
        return verify(
            leaf, untrusted: untrusted, at: now, purpose: clientPurpose ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER,
            revocation: revocation && checksRevocation)
    }

    private func verify(
        _ leaf: OpaquePointer, untrusted: OpaquePointer?, at time: Date, purpose: Int32, revocation: Bool,
        ignoreValidityPeriod: Bool = false, revokedAfter trustedTime: Date? = nil, onTrusted: ((OpaquePointer) -> Void)? = nil
    ) -> Finding? {
        guard let ctx = X509_STORE_CTX_new() else { return Finding(.authenticity, "untrusted-signer", "out of memory") }
        defer { X509_STORE_CTX_free(ctx) }
        guard X509_STORE_CTX_init(ctx, store, leaf, untrusted) == 1 else {
            return Finding(.authenticity, "untrusted-signer", OpenSSL.lastError())
        }
        X509_STORE_CTX_set_time(ctx, 0, time_t(time.timeIntervalSince1970))
        X509_STORE_CTX_set_purpose(ctx, purpose)
        if !revocation {
            X509_VERIFY_PARAM_clear_flags(X509_STORE_CTX_get0_param(ctx), UInt(X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL))
        }
        let verified: Int32
        if let trustedTime {
            // The callback reads the time through the context while X509_verify_cert runs.
            var at = time_t(trustedTime.timeIntervalSince1970)
            verified = withUnsafePointer(to: &at) { pointer in
                dossier_store_ctx_revoked_after(ctx, pointer)
                return X509_verify_cert(ctx)
            }
        } else {
            if ignoreValidityPeriod { dossier_store_ctx_ignore_validity_period(ctx) }
            verified = X509_verify_cert(ctx)
        }
        if verified == 1 {
            if let onTrusted, let chain = X509_STORE_CTX_get0_chain(ctx) { onTrusted(chain) }
            return nil
        }
        ERR_clear_error()
        let code = X509_STORE_CTX_get_error(ctx)
        let text = X509_verify_cert_error_string(Int(code)).map { String(cString: $0) } ?? "error \(code)"
        switch code {
        case X509_V_ERR_CERT_HAS_EXPIRED, X509_V_ERR_CERT_NOT_YET_VALID:
            return Finding(.authenticity, "expired-signer", "signer certificate not valid at signing time: \(text)")
        case X509_V_ERR_CERT_REVOKED:
            return Finding(.authenticity, "revoked-signer", text)
        case X509_V_ERR_CRL_NOT_YET_VALID, X509_V_ERR_CRL_HAS_EXPIRED, X509_V_ERR_UNABLE_TO_GET_CRL:
            return Finding(.authenticity, "revocation-unavailable", "revocation cannot be checked now: \(text)")
        default:
            return Finding(.authenticity, "untrusted-signer", text)
        }
    }
}

extension Finding {
    /// True when the finding says the receiver cannot decide now, not that the archive is bad.
    public var isTransient: Bool { TrustStore.transientCodes.contains(code) }
}

/// The trust store in force, shared by every use (inbound and outbound TLS, the archive
/// verifier, the receipt check) and replaced as a whole on reload, so that no use keeps
/// anchors or CRLs another has dropped. Thread-safe.
public final class CurrentTrust: Sendable {
    private let current: Mutex<TrustStore>

    /// Starts with `store`.
    public init(_ store: TrustStore) { current = Mutex(store) }

    /// The store to use for the verification about to start.
    public var store: TrustStore { current.withLock { $0 } }

    /// Swaps in `store` for every verification that starts from now on.
    public func replace(_ store: TrustStore) { current.withLock { $0 = store } }
}
