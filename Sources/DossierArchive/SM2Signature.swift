import COpenSSL

/// What OpenSSL 3.0 does not do by itself for SM2 CMS signatures (docs/archive-format.md,
/// "Profiles"): fill the SignerInfo's signatureAlgorithm, use the GM/T 0009 signer ID when
/// signing, when checking certificate chains and when checking the signed attributes, which
/// `CMS_verify` cannot do with an ID.
enum SM2Signature {
    /// Whether `key` is an SM2 key (a private key, or a certificate's public key).
    static func isSM2(_ key: OpaquePointer?) -> Bool {
        guard let key else { return false }
        return EVP_PKEY_is_a(key, "SM2") == 1
    }

    /// Adds the signer `certificate`/`key` to a partial SignedData `cms` with SM3 as digest,
    /// SM2-with-SM3 (1.2.156.10197.1.501) as signatureAlgorithm and the GM/T default ID on the
    /// key context, so that `CMS_final` signs as GM/T 0010 requires. Returns the SignerInfo,
    /// nil with OpenSSL's error queue set when OpenSSL refuses.
    static func addSigner(to cms: OpaquePointer, certificate: OpaquePointer, key: OpaquePointer) -> OpaquePointer? {
        guard let signerInfo = CMS_add1_signer(cms, certificate, key, EVP_sm3(), UInt32(CMS_BINARY | CMS_KEY_PARAM)) else {
            return nil
        }
        var signatureAlgorithm: UnsafeMutablePointer<X509_ALGOR>?
        CMS_SignerInfo_get0_algs(signerInfo, nil, nil, nil, &signatureAlgorithm)
        guard let signatureAlgorithm, let oid = OBJ_nid2obj(NID_SM2_with_SM3),
            X509_ALGOR_set0(signatureAlgorithm, oid, V_ASN1_UNDEF, nil) == 1,
            let context = CMS_SignerInfo_get0_pkey_ctx(signerInfo), setID(on: context)
        else { return nil }
        return signerInfo
    }

    /// Whether the SignerInfo's algorithms are SM3 and SM2(-with-SM3).
    static func hasSM2Algorithms(_ signerInfo: OpaquePointer) -> Bool {
        var digest: UnsafeMutablePointer<X509_ALGOR>?
        var signature: UnsafeMutablePointer<X509_ALGOR>?
        CMS_SignerInfo_get0_algs(signerInfo, nil, nil, &digest, &signature)
        func nid(_ algorithm: UnsafeMutablePointer<X509_ALGOR>?) -> Int32 {
            guard let algorithm else { return NID_undef }
            var oid: OpaquePointer?
            X509_ALGOR_get0(&oid, nil, nil, algorithm)
            return oid.map { OBJ_obj2nid($0) } ?? NID_undef
        }
        return nid(digest) == NID_sm3 && [NID_SM2_with_SM3, NID_sm2].contains(nid(signature))
    }

    /// Gives every certificate signed with SM2-with-SM3 among `certificates` the GM/T default
    /// ID, which `X509_verify_cert` then uses to check its issuer's signature on it.
    static func setChainIDs(_ certificates: [OpaquePointer]) {
        for certificate in certificates where X509_get_signature_nid(certificate) == NID_SM2_with_SM3 {
            guard let id = ASN1_OCTET_STRING_new() else { continue }
            let bytes = ArchiveProfile.sm2DistinguishingID
            guard ASN1_OCTET_STRING_set(id, bytes, Int32(bytes.count)) == 1 else {
                ASN1_OCTET_STRING_free(id)
                continue
            }
            X509_set0_distinguishing_id(certificate, id)
        }
    }

    /// Checks the SignerInfo's signature over its signed attributes (re-encoded as the SET OF
    /// they were signed as, RFC 5652 §5.4) with SM3, `publicKey` and the GM/T default ID. The
    /// messageDigest attribute against the content is `CMS_verify`'s part.
    static func verifySignedAttributes(_ signerInfo: OpaquePointer, publicKey: OpaquePointer?) -> Bool {
        guard let publicKey, let signed = encodedSignedAttributes(signerInfo), let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit_ex(context, &keyContext, "SM3", nil, nil, publicKey, nil) == 1, let keyContext,
            setID(on: keyContext)
        else { return false }
        let signature = TimestampToken.signatureValue(of: signerInfo)
        return EVP_DigestVerify(context, signature, signature.count, signed, signed.count) == 1
    }

    private static func setID(on context: OpaquePointer) -> Bool {
        let id = ArchiveProfile.sm2DistinguishingID
        return EVP_PKEY_CTX_set1_id(context, id, Int32(id.count)) == 1
    }

    /// The signed attributes as DER `SET OF Attribute`, in their stored order (the signer's
    /// DER order, which `CMS_Attributes_Verify` keeps too); nil when there are none.
    private static func encodedSignedAttributes(_ signerInfo: OpaquePointer) -> [UInt8]? {
        let count = CMS_signed_get_attr_count(signerInfo)
        guard count > 0 else { return nil }
        var body: [UInt8] = []
        for index in 0..<count {
            guard let attribute = CMS_signed_get_attr(signerInfo, index), let encoded = OpenSSL.der(attribute, i2d_X509_ATTRIBUTE)
            else { return nil }
            body += encoded
        }
        return [0x31] + derLength(body.count) + body
    }

    /// A DER definite length.
    private static func derLength(_ length: Int) -> [UInt8] {
        guard length >= 0x80 else { return [UInt8(length)] }
        var bytes: [UInt8] = []
        var rest = length
        while rest > 0 {
            bytes.insert(UInt8(rest & 0xFF), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(bytes.count)] + bytes
    }
}
