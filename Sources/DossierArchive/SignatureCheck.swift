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
}

/// CMS SignedData verification (RFC 5652) with precise reasons: the signer's chain is checked
/// first, at the signing time, so an expired or revoked signer is told apart from an unknown
/// one, then the signature itself over the content.
public enum SignatureCheck {
    /// Verifies a detached signature (PEM or DER) over `content`.
    public static func verifyDetached(signature: [UInt8], content: [UInt8], trust: TrustStore, now: Date = Date()) -> SignatureResult {
        verify(signature: signature, detachedContent: content, trust: trust, now: now)
    }

    /// Verifies an attached signature (DER or PEM) and returns its content.
    public static func verifyAttached(signature: [UInt8], trust: TrustStore, now: Date = Date()) -> SignatureResult {
        verify(signature: signature, detachedContent: nil, trust: trust, now: now)
    }

    /// Reads the signer certificate of a signature without judging it (for `inspect`).
    public static func signer(of signature: [UInt8]) -> CertificateInfo? {
        guard let cms = parse(signature) else { return nil }
        defer { CMS_ContentInfo_free(cms) }
        return signerCertificate(cms).map { CertificateInfo(x509: $0) }
    }

    /// The content of an attached signature, read without checking anything (for display).
    public static func unverifiedContent(of signature: [UInt8]) -> [UInt8]? {
        guard let cms = parse(signature) else { return nil }
        defer { CMS_ContentInfo_free(cms) }
        guard let content = CMS_get0_content(cms), let octets = content.pointee, let data = ASN1_STRING_get0_data(octets) else {
            return nil
        }
        return [UInt8](UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(octets))))
    }

    private static func verify(signature: [UInt8], detachedContent: [UInt8]?, trust: TrustStore, now: Date) -> SignatureResult {
        var result = SignatureResult(signer: nil, signingTime: nil, findings: [], content: nil)
        guard let cms = parse(signature) else {
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
        result.signer = CertificateInfo(x509: signer)
        let info = OpaquePointer(dossier_sk_value(UnsafeRawPointer(infos), 0))
        result.signingTime = info.flatMap(signingTime)
        let at = result.signingTime ?? now
        if at > now.addingTimeInterval(300) {
            result.findings.append(Finding(.authenticity, "signing-time-future", "signed at \(at), after now"))
        }
        let certs = CMS_get1_certs(cms)
        defer { if let certs { dossier_sk_x509_pop_free(certs) } }
        if let problem = trust.check(signer: signer, untrusted: certs, at: at, now: now) {
            result.findings.append(problem)
        }
        let flags = UInt32(CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY)
        let valid: Bool
        if let detachedContent {
            valid = OpenSSL.withMemoryBIO(detachedContent) { CMS_verify(cms, nil, trust.store, $0, nil, flags) == 1 } ?? false
        } else {
            result.content = OpenSSL.collect { CMS_verify(cms, nil, trust.store, nil, $0, flags) }
            valid = result.content != nil
        }
        if !valid { result.findings.append(Finding(.authenticity, "signature-invalid", OpenSSL.lastError())) }
        return result
    }

    private static func parse(_ bytes: [UInt8]) -> OpaquePointer? {
        let pem = OpenSSL.withMemoryBIO(bytes) { PEM_read_bio_CMS($0, nil, nil, nil) } ?? nil
        if let pem { return pem }
        ERR_clear_error()
        let der = OpenSSL.withMemoryBIO(bytes) { d2i_CMS_bio($0, nil) } ?? nil
        ERR_clear_error()
        return der
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
