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
    /// The profile its signatures and archives are made in: `sm2-sm3` for an SM2 key, else
    /// `sha256` (docs/archive-format.md, "Profiles").
    public let profile: ArchiveProfile

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
        profile = SM2Signature.isSM2(key) ? .sm2SM3 : .sha256
    }

    deinit {
        X509_free(certificate)
        chain.forEach { X509_free($0) }
        EVP_PKEY_free(key)
    }

    /// Makes a detached CMS SignedData (PEM, RFC 5652) over `content` in the identity's
    /// `profile`, carrying the signer certificate and chain, with a signing-time attribute.
    /// - Throws: `ArchiveError.signing` with OpenSSL's reason.
    public func signDetached(_ content: [UInt8]) throws(ArchiveError) -> [UInt8] {
        try sign(content, flags: CMS_DETACHED | CMS_BINARY, time: nil, unsigned: Self.noToken) { PEM_write_bio_CMS($0, $1) }
    }

    /// Makes a detached CMS SignedData (PEM) over `content` whose signingTime is `time`, and
    /// adds the token `timestamp` returns for the signature value (nil: none) as the unsigned
    /// attribute id-aa-timeStampToken (CAdES-T).
    /// - Throws: `ArchiveError.signing` with OpenSSL's reason, or what `timestamp` throws.
    func signDetached(
        _ content: [UInt8], at time: Date, timestamp: ([UInt8]) throws(ArchiveError) -> [UInt8]?
    ) throws(ArchiveError) -> [UInt8] {
        try sign(content, flags: CMS_DETACHED | CMS_BINARY, time: time, unsigned: timestamp) { PEM_write_bio_CMS($0, $1) }
    }

    /// Makes an attached CMS SignedData (DER) over `content` in the identity's `profile`: used
    /// for receipts. With `timestamping`, one attempt is made at an RFC 3161 token over the
    /// signature value, added as id-aa-timeStampToken when it succeeds; a TSA that fails leaves
    /// the signature without a token and never fails it (whatever `timestamping.required` says).
    /// - Throws: `ArchiveError.signing` with OpenSSL's reason.
    public func signAttached(_ content: [UInt8], timestamping: Timestamping? = nil) throws(ArchiveError) -> [UInt8] {
        var once = timestamping
        once?.required = false
        return try sign(content, flags: CMS_BINARY, time: nil) { (value) throws(ArchiveError) -> [UInt8]? in
            do throws(TimestampError) { return try once?.token(over: value) } catch { return nil }
        } encode: {
            i2d_CMS_bio($0, $1)
        }
    }

    private func sign(
        _ content: [UInt8], flags: Int32, time: Date?, unsigned: ([UInt8]) throws(ArchiveError) -> [UInt8]?,
        encode: (OpaquePointer, OpaquePointer) -> Int32
    ) throws(ArchiveError) -> [UInt8] {
        guard let stack = dossier_sk_x509_new() else { throw .signing(reason: "out of memory") }
        defer { dossier_sk_x509_free(stack) }
        chain.forEach { _ = dossier_sk_x509_push(stack, $0) }
        // Partial: the signingTime is set before the content is digested and signed. OpenSSL
        // 3.0's CMS_sign cannot sign with SM2 (no signatureAlgorithm, no ID): its signer is added
        // by SM2Signature.
        let sm2 = profile == .sm2SM3
        guard let cms = CMS_sign(sm2 ? nil : certificate, sm2 ? nil : key, stack, nil, UInt32(flags | CMS_PARTIAL)) else {
            throw .signing(reason: OpenSSL.lastError())
        }
        defer { CMS_ContentInfo_free(cms) }
        if sm2, SM2Signature.addSigner(to: cms, certificate: certificate, key: key) == nil {
            throw .signing(reason: "SM2 signer: \(OpenSSL.lastError())")
        }
        guard let infos = CMS_get0_SignerInfos(cms), let signerInfo = OpaquePointer(dossier_sk_value(UnsafeRawPointer(infos), 0)) else {
            throw .signing(reason: "no signer")
        }
        if let time, !Self.setSigningTime(time, on: signerInfo) { throw .signing(reason: OpenSSL.lastError()) }
        guard OpenSSL.withMemoryBIO(content, { CMS_final(cms, $0, nil, UInt32(flags)) }) == 1 else {
            throw .signing(reason: OpenSSL.lastError())
        }
        if let token = try unsigned(TimestampToken.signatureValue(of: signerInfo)) {
            guard TimestampToken.embed(token, in: signerInfo) else {
                throw .signing(reason: "cannot add the timestamp token: \(OpenSSL.lastError())")
            }
        }
        guard let encoded = OpenSSL.collect({ encode($0, cms) }) else { throw .signing(reason: OpenSSL.lastError()) }
        return encoded
    }

    private static func noToken(_: [UInt8]) throws(ArchiveError) -> [UInt8]? { nil }

    private static func setSigningTime(_ time: Date, on signerInfo: OpaquePointer) -> Bool {
        guard let asn1 = ASN1_TIME_set(nil, time_t(time.timeIntervalSince1970.rounded(.down))) else { return false }
        defer { ASN1_TIME_free(asn1) }
        return CMS_signed_add1_attr_by_NID(signerInfo, NID_pkcs9_signingTime, ASN1_STRING_type(asn1), asn1, -1) == 1
    }
}
