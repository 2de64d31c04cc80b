import COpenSSL
import DossierModel
import Foundation

/// RFC 3161 tokens over a CMS signature value (CAdES-T): asking for one, embedding it as the
/// unsigned attribute id-aa-timeStampToken, and checking one found in a signature.
enum TimestampToken {
    /// Asks `source` for a token over `signatureValue` (SHA-256 imprint, random nonce, TSA
    /// certificate requested) and returns it (DER `ContentInfo`) once the answer is granted,
    /// for this imprint and nonce, and — with `trust` — signed by a trusted TSA.
    /// - Throws: `TimestampError`.
    static func request(over signatureValue: [UInt8], from source: any TimestampSource, trust: TrustStore?) throws(TimestampError)
        -> [UInt8]
    {
        guard let query = makeQuery(digest(signatureValue)) else { throw .badResponse(detail: "cannot build the query") }
        defer { TS_REQ_free(query) }
        guard let queryDER = der({ i2d_TS_REQ_bio($0, query) }) else { throw .badResponse(detail: "cannot encode the query") }
        let answer = try source.exchange(queryDER)
        guard let response = OpenSSL.decode(answer[...], { d2i_TS_RESP(nil, &$0, $1) }) else {
            throw .badResponse(detail: "not a TimeStampResp (\(OpenSSL.lastError()))")
        }
        defer { TS_RESP_free(response) }
        let status = TS_RESP_get_status_info(response).flatMap { TS_STATUS_INFO_get0_status($0) }.map { ASN1_INTEGER_get($0) } ?? -1
        guard status == 0 || status == 1 else { throw .rejected(status: status, detail: statusText(response)) }
        guard let context = TS_REQ_to_TS_VERIFY_CTX(query, nil) else { throw .badResponse(detail: "out of memory") }
        defer { TS_VERIFY_CTX_free(context) }
        if let trust {
            X509_STORE_up_ref(trust.store)
            TS_VERIFY_CTX_set_store(context, trust.store)
            TS_VERIFY_CTX_add_flags(context, dossier_ts_vfy_signature())
        }
        guard TS_RESP_verify_response(context, response) == 1 else { throw .badResponse(detail: OpenSSL.lastError()) }
        guard let token = TS_RESP_get_token(response), let tokenDER = der({ i2d_PKCS7_bio($0, token) }) else {
            throw .badResponse(detail: "a granted answer without a token")
        }
        return tokenDER
    }

    /// Adds `token` (DER) to the signer as the unsigned attribute id-aa-timeStampToken.
    /// Unsigned attributes are outside what the signature covers, so the signature stays valid.
    static func embed(_ token: [UInt8], in signerInfo: OpaquePointer) -> Bool {
        token.withUnsafeBytes { raw in
            CMS_unsigned_add1_attr_by_NID(signerInfo, NID_id_smime_aa_timeStampToken, V_ASN1_SEQUENCE, raw.baseAddress, Int32(raw.count))
                == 1
        }
    }

    /// The signer's signature value (the octets the token's imprint is over).
    static func signatureValue(of signerInfo: OpaquePointer) -> [UInt8] {
        guard let value = CMS_SignerInfo_get0_signature(signerInfo), let data = ASN1_STRING_get0_data(value) else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: Int(ASN1_STRING_length(value))))
    }

    /// Checks the token embedded in `signerInfo`: nil when there is no id-aa-timeStampToken
    /// attribute; else what the token says (nil when it cannot be read) and what is wrong with
    /// it. With `trust` nil the token is read but not judged (`trusted` false, no finding).
    static func check(signerInfo: OpaquePointer, trust: TrustStore?) -> (info: TimestampInfo?, findings: [Finding])? {
        let index = CMS_unsigned_get_attr_by_NID(signerInfo, NID_id_smime_aa_timeStampToken, -1)
        guard index >= 0 else { return nil }
        guard let attribute = CMS_unsigned_get_attr(signerInfo, index), let value = X509_ATTRIBUTE_get0_type(attribute, 0),
            ASN1_TYPE_get(value) == V_ASN1_SEQUENCE, let sequence = value.pointee.value.sequence,
            let bytes = ASN1_STRING_get0_data(sequence)
        else { return (nil, [untrusted("the timestamp attribute holds no token")]) }
        var cursor: UnsafePointer<UInt8>? = bytes
        guard let token = d2i_PKCS7(nil, &cursor, Int(ASN1_STRING_length(sequence))) else {
            ERR_clear_error()
            return (nil, [untrusted("the timestamp attribute is not a CMS token")])
        }
        defer { PKCS7_free(token) }
        guard let tstInfo = PKCS7_to_TS_TST_INFO(token), let time = OpenSSL.date(TS_TST_INFO_get_time(tstInfo)) else {
            ERR_clear_error()
            return (nil, [untrusted("the timestamp token holds no TSTInfo with a time")])
        }
        defer { TS_TST_INFO_free(tstInfo) }
        guard let signers = PKCS7_get0_signers(token, nil, 0) else {
            ERR_clear_error()
            return (nil, [untrusted("the timestamp token does not carry its TSA's certificate")])
        }
        defer { dossier_sk_x509_free(signers) }
        guard dossier_sk_x509_num(signers) == 1, let tsa = dossier_sk_x509_value(signers, 0) else {
            return (nil, [untrusted("the timestamp token has not exactly one signer")])
        }
        let name = CertificateInfo(x509: tsa)
        var info = TimestampInfo(time: time, authority: name.commonName ?? name.subject, trusted: false)
        guard let trust else { return (info, []) }
        // The TSA's chain first, with reasons (a CRL that cannot be had now is transient), then
        // the token's signature and its binding to that certificate (ESS), then the imprint.
        if let problem = trust.checkTimestampAuthority(tsa, untrusted: token.pointee.d.sign?.pointee.cert) {
            return (info, [problem.isTransient ? problem : untrusted("the TSA's certificate: \(problem.detail)")])
        }
        if let problem = verify(token, flags: dossier_ts_vfy_signature(), store: trust.store, data: nil) {
            return (info, [untrusted("the timestamp token does not verify: \(problem)")])
        }
        if verify(token, flags: dossier_ts_vfy_data(), store: nil, data: signatureValue(of: signerInfo)) != nil {
            return (
                info,
                [Finding(.authenticity, "timestamp-mismatch", "the timestamp token is over another signature (message imprint mismatch)")]
            )
        }
        info.trusted = true
        return (info, [])
    }

    /// Runs `TS_RESP_verify_token` with the steps in `flags`; nil when it passes, else OpenSSL's reason.
    private static func verify(_ token: UnsafeMutablePointer<PKCS7>, flags: Int32, store: OpaquePointer?, data: [UInt8]?) -> String? {
        guard let context = TS_VERIFY_CTX_new() else { return "out of memory" }
        defer { TS_VERIFY_CTX_free(context) }
        TS_VERIFY_CTX_set_flags(context, flags)
        if let store {
            X509_STORE_up_ref(store)
            TS_VERIFY_CTX_set_store(context, store)
        }
        if let data {
            guard let bio = BIO_new(BIO_s_mem()) else { return "out of memory" }
            _ = data.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
            TS_VERIFY_CTX_set_data(context, bio)
        }
        return TS_RESP_verify_token(context, token) == 1 ? nil : OpenSSL.lastError()
    }

    private static func untrusted(_ detail: String) -> Finding { Finding(.authenticity, "timestamp-untrusted", detail) }

    private static func makeQuery(_ digest: [UInt8]) -> OpaquePointer? {
        guard let query = TS_REQ_new(), let imprint = TS_MSG_IMPRINT_new(), let algorithm = X509_ALGOR_new() else { return nil }
        defer { TS_MSG_IMPRINT_free(imprint) }
        defer { X509_ALGOR_free(algorithm) }
        var nonceBytes = [UInt8](repeating: 0, count: 8)
        guard RAND_bytes(&nonceBytes, 8) == 1, let nonce = ASN1_INTEGER_new() else { TS_REQ_free(query); return nil }
        defer { ASN1_INTEGER_free(nonce) }
        let ok =
            X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nil) == 1
            && TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1
            && digest.withUnsafeBufferPointer {
                TS_MSG_IMPRINT_set_msg(imprint, UnsafeMutablePointer(mutating: $0.baseAddress), Int32($0.count))
            } == 1
            && ASN1_INTEGER_set_uint64(nonce, nonceBytes.reduce(0) { $0 << 8 | UInt64($1) } >> 1) == 1
            && TS_REQ_set_version(query, 1) == 1 && TS_REQ_set_msg_imprint(query, imprint) == 1
            && TS_REQ_set_nonce(query, nonce) == 1 && TS_REQ_set_cert_req(query, 1) == 1
        guard ok else { ERR_clear_error(); TS_REQ_free(query); return nil }
        return query
    }

    private static func statusText(_ response: OpaquePointer) -> String {
        OpenSSL.collect { TS_STATUS_INFO_print_bio($0, TS_RESP_get_status_info(response)) }
            .map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) } ?? "no status text"
    }

    private static func digest(_ bytes: [UInt8]) -> [UInt8] {
        let hash = SHA256()
        hash.update(bytes)
        return hash.finish()
    }

    /// The DER an `i2d_*_bio` call writes.
    private static func der(_ encode: (OpaquePointer) -> Int32) -> [UInt8]? { OpenSSL.collect(encode) }
}
