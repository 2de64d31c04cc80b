import COpenSSL
import DossierModel
import Foundation

/// The outcome of checking a CMS signature: who signed and what is wrong, if anything.
public struct SignatureResult: Sendable {
    /// The signer's certificate, when the signature carried one.
    public var signer: CertificateInfo?
    /// The signing-time attribute, when present.
    public var signingTime: Date?
    /// Empty when the signature is cryptographically valid and the signer trusted.
    public var findings: [Finding]
    /// For attached signatures: the signed content.
    public var content: [UInt8]?
    /// The RFC 3161 token on the signature, when there is one.
    public var timestamp: TimestampInfo?
    /// The profile of the signature, from the signer's key: `sm2-sm3` for SM2, else `sha256`.
    public var profile: ArchiveProfile?
}

/// How a verifier treats timestamp tokens on signatures (`[timestamp]` on the receiving side).
public struct TimestampPolicy: Sendable {
    /// The TSAs' CAs (and CRLs). Nil: tokens are read and shown but not trusted, so the
    /// signingTime stays self-asserted.
    public var trust: TrustStore?
    /// Refuse a signature without a trusted token (`timestamp-missing`).
    public var required: Bool

    /// Trusts the TSAs anchored in `trust` (nil: none); with `required`, demands a token.
    public init(trust: TrustStore?, required: Bool) {
        self.trust = trust
        self.required = required
    }

    /// No TSA trusted, none required: the behaviour before timestamps.
    public static let none = TimestampPolicy(trust: nil, required: false)
}

/// CMS SignedData verification (RFC 5652) with precise reasons: the signer's chain is checked
/// first, at the signing time, so an expired or revoked signer is told apart from an unknown
/// one, then the signature itself over the content. The signing time is the genTime of a
/// trusted RFC 3161 token on the signature when there is one (CAdES-T), else the signer's own
/// signingTime attribute; with such a token, a certificate revoked after its genTime does not
/// count against the signature. Both profiles are accepted: an SM2 signer's signature is checked with
/// SM3 and the GM/T 0009 default ID, its chain with that ID on every SM2-signed certificate.
public enum SignatureCheck {
    /// The most bytes of a signature's DER (a PEM one's decoded), besides the content it
    /// encapsulates, that are handed to OpenSSL; a larger one is `signature-malformed` unparsed.
    /// What OpenSSL makes of DER grows with the number of elements, not the bytes: a certificate
    /// of 1,500 one-word names takes ten times its size parsed, and twenty once a chain search
    /// reads its extensions (OpenSSL 3.0). Sixty such certificates (900 KiB) carried by one
    /// signature raised `openssl cms -verify`'s peak memory by 20 MiB; at the tag-file bound
    /// (4 MiB) that would be some 90. A genuine signature, a chain of three with a timestamp
    /// token and its own chain, is under 20 KiB; at this bound what is parsed stays under some
    /// 6 MiB.
    public static let largestParsed = 256 << 10

    /// Verifies a detached signature (PEM or DER) over `content`, its timestamp token as
    /// `timestamps` says (`timestamp-untrusted`, `timestamp-mismatch`, `timestamp-missing`).
    /// With `profile`, a signature of the other profile is `profile-mismatch`, and so is, in
    /// every case, an SM2 signature not made with SM3 and SM2-with-SM3.
    public static func verifyDetached(
        signature: [UInt8], content: [UInt8], trust: TrustStore, timestamps: TimestampPolicy = .none, profile: ArchiveProfile? = nil,
        now: Date = Date()
    ) -> SignatureResult {
        verify(signature: signature, detachedContent: content, trust: trust, timestamps: timestamps, profile: profile, now: now)
    }

    /// Verifies an attached signature (DER or PEM), in either profile, and returns its content;
    /// an SM2 signature not made with SM3 and SM2-with-SM3 is `profile-mismatch`.
    public static func verifyAttached(
        signature: [UInt8], trust: TrustStore, timestamps: TimestampPolicy = .none, now: Date = Date()
    ) -> SignatureResult {
        verify(signature: signature, detachedContent: nil, trust: trust, timestamps: timestamps, profile: nil, now: now)
    }

    /// Reads the signer certificate of a signature without judging it (for `inspect`).
    public static func signer(of signature: [UInt8]) -> CertificateInfo? {
        guard let cms = parse(signature)?.cms else { return nil }
        defer { CMS_ContentInfo_free(cms) }
        return signerCertificate(cms).map { CertificateInfo(x509: $0) }
    }

    /// Reads the content of an attached signature without judging the signature (for reports
    /// over receipts that were verified when they were stored); nil if it is not CMS SignedData
    /// with content.
    public static func unverifiedContent(of signature: [UInt8]) -> [UInt8]? {
        guard let cms = parse(signature)?.cms else { return nil }
        defer { CMS_ContentInfo_free(cms) }
        guard OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed, let slot = CMS_get0_content(cms), let content = slot.pointee,
            let bytes = ASN1_STRING_get0_data(content)
        else { return nil }
        return [UInt8](UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(content))))
    }

    /// `certificates`: where carried certificates seen before are taken from (nil: every
    /// signature parsed in full, as tests compare).
    static func verify(
        signature: [UInt8], detachedContent: [UInt8]?, trust: TrustStore, timestamps: TimestampPolicy, profile: ArchiveProfile?,
        now: Date, certificates: CertificateCache? = CarriedCertificates.shared
    ) -> SignatureResult {
        var result = SignatureResult(signer: nil, signingTime: nil, findings: [], content: nil)
        let der = OpenSSL.der(fromPEM: signature, label: PEM_STRING_CMS) ?? signature
        let parsedBytes = der.count - (CarriedCertificates.contentBytes(in: der) ?? 0)
        guard parsedBytes <= largestParsed else {
            result.findings.append(
                Finding(.authenticity, "signature-malformed", "\(parsedBytes) bytes besides the signed content; at most \(largestParsed)"))
            return result
        }
        guard let (cms, carried) = parse(der, certificates: certificates) else {
            result.findings.append(Finding(.authenticity, "signature-malformed", "not a CMS structure"))
            return result
        }
        defer { CMS_ContentInfo_free(cms) }
        guard OBJ_obj2nid(CMS_get0_type(cms)) == NID_pkcs7_signed else {
            result.findings.append(Finding(.authenticity, "signature-malformed", "a CMS structure, but not SignedData"))
            return result
        }
        guard let infos = CMS_get0_SignerInfos(cms), dossier_sk_num(UnsafeRawPointer(infos)) == 1 else {
            result.findings.append(Finding(.authenticity, "signature-malformed", "expected exactly one signer"))
            return result
        }
        guard let signer = signerCertificate(cms) else {
            result.findings.append(Finding(.authenticity, "untrusted-signer", "the signature does not carry its signer's certificate"))
            return result
        }
        result.signer = carried.first { $0.certificate.x509 == signer }?.certificate.info ?? CertificateInfo(x509: signer)
        let info = OpaquePointer(dossier_sk_value(UnsafeRawPointer(infos), 0))
        let publicKey = X509_get0_pubkey(signer)
        let sm2 = SM2Signature.isSM2(publicKey)
        result.profile = sm2 ? .sm2SM3 : .sha256
        if let profile, profile != result.profile {
            result.findings.append(
                Finding(
                    .authenticity, "profile-mismatch",
                    "a \(sm2 ? "SM2" : "non-SM2") signer's signature in a bag of the \(profile.rawValue) profile"))
        } else if sm2, !(info.map(SM2Signature.hasSM2Algorithms) ?? false) {
            // Whatever was expected: an SM2 key signs only as GM/T 0010 says.
            result.findings.append(
                Finding(.authenticity, "profile-mismatch", "an SM2 signature whose algorithms are not SM3 and SM2-with-SM3"))
        }
        result.signingTime = info.flatMap(signingTime)
        var at = result.signingTime ?? now
        var trustedTime: Date?
        if at > now.addingTimeInterval(300) {
            result.findings.append(Finding(.authenticity, "signing-time-future", "signed at \(at), after now"))
        }
        let checked = info.flatMap { TimestampToken.check(signerInfo: $0, trust: timestamps.trust) }
        if let checked {
            result.timestamp = checked.info
            result.findings += checked.findings
            // The TSA's word replaces the signer's: a signer cannot backdate past its token.
            if let token = checked.info, token.trusted { (at, trustedTime) = (token.time, token.time) }
        } else if timestamps.required {
            result.findings.append(
                Finding(.authenticity, "timestamp-missing", "the signature carries no timestamp token; this receiver requires one"))
        }
        let certs = CMS_get1_certs(cms)
        defer { if let certs { dossier_sk_x509_pop_free(certs) } }
        if sm2 {
            let others = certs.map { stack in (0..<dossier_sk_x509_num(stack)).compactMap { dossier_sk_x509_value(stack, $0) } } ?? []
            SM2Signature.setChainIDs([signer] + others)
        }
        let problem = trust.check(signer: signer, untrusted: certs, at: at, now: now, trustedTime: trustedTime) { chain in
            if let certificates { CarriedCertificates.keep(carried, on: chain, in: certificates) }
        }
        if let problem { result.findings.append(problem) }
        // CMS_verify cannot give SM2 its ID: for SM2 it checks the content's messageDigest only,
        // and the signature over the signed attributes is checked here.
        let flags = UInt32(CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY | (sm2 ? CMS_NO_ATTR_VERIFY : 0))
        let valid: Bool
        if let detachedContent {
            valid = OpenSSL.withMemoryBIO(detachedContent) { CMS_verify(cms, nil, trust.store, $0, nil, flags) == 1 } ?? false
        } else {
            result.content = OpenSSL.collect { CMS_verify(cms, nil, trust.store, nil, $0, flags) }
            valid = result.content != nil
        }
        if !valid {
            result.findings.append(Finding(.authenticity, "signature-invalid", OpenSSL.lastError()))
        } else if sm2, !(info.map { SM2Signature.verifySignedAttributes($0, publicKey: publicKey) } ?? false) {
            ERR_clear_error()
            result.content = nil
            result.findings.append(
                Finding(.authenticity, "signature-invalid", "the SM2 signature over the signed attributes does not verify (SM3, GM/T ID)"))
        }
        return result
    }

    /// The CMS, and the certificates it carries when taken through `certificates` (none when
    /// parsed in full).
    private static func parse(
        _ bytes: [UInt8], certificates: CertificateCache? = CarriedCertificates.shared
    ) -> (cms: OpaquePointer, carried: [CarriedCertificates.Carried])? {
        if let certificates, let known = CarriedCertificates.parse(bytes, cache: certificates) { return known }
        let pem = OpenSSL.withMemoryBIO(bytes) { PEM_read_bio_CMS($0, nil, nil, nil) } ?? nil
        if let pem { return (pem, []) }
        ERR_clear_error()
        let der = OpenSSL.withMemoryBIO(bytes) { d2i_CMS_bio($0, nil) } ?? nil
        ERR_clear_error()
        return der.map { ($0, []) }
    }

    /// The certificate among those carried by the signature that matches the (single) signer.
    private static func signerCertificate(_ cms: OpaquePointer) -> OpaquePointer? {
        guard CMS_set1_signers_certs(cms, nil, 0) >= 1, let infos = CMS_get0_SignerInfos(cms),
            dossier_sk_num(UnsafeRawPointer(infos)) >= 1,
            let info = OpaquePointer(dossier_sk_value(UnsafeRawPointer(infos), 0))
        else { ERR_clear_error(); return nil }
        var signer: OpaquePointer?
        CMS_SignerInfo_get0_algs(info, nil, &signer, nil, nil)
        return signer
    }

    private static func signingTime(_ info: OpaquePointer) -> Date? {
        let index = CMS_signed_get_attr_by_NID(info, NID_pkcs9_signingTime, -1)
        guard index >= 0, let attribute = CMS_signed_get_attr(info, index),
            let value = X509_ATTRIBUTE_get0_type(attribute, 0)
        else { return nil }
        let type = ASN1_TYPE_get(value)
        guard type == V_ASN1_UTCTIME || type == V_ASN1_GENERALIZEDTIME else { return nil }
        return OpenSSL.date(UnsafePointer(value.pointee.value.utctime))
    }
}
