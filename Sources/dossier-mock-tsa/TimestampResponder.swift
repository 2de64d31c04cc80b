import COpenSSL
import Foundation

/// An RFC 3161 time-stamping authority over OpenSSL's TS API (`TS_RESP_CTX`): answers a DER
/// `TimeStampReq` with a DER `TimeStampResp` signed by the TSA certificate, SHA-256 throughout,
/// ESSCertIDv2, the certificate included when the query asks for it.
///
/// Thread-safety: one `TS_RESP_CTX` keeps per-response state, so each answer gets its own
/// context; the certificate and key are only read.
final class TimestampResponder: @unchecked Sendable {
    // Safe: `certificate`, `chain` and `key` are never modified after init; contexts are per call.
    private let certificate: OpaquePointer
    private let chain: [OpaquePointer]
    private let key: OpaquePointer
    /// The TSA policy OID stated in every token (a private arc: this is a test TSA).
    static let policy = "1.3.6.1.4.1.55555.3161.1"

    /// Why the responder could not start or answer.
    enum ResponderError: Error, CustomStringConvertible {
        case credentials(path: String, reason: String)
        case response(String)

        var description: String {
            switch self {
            case let .credentials(path, reason): return "\(path): \(reason)"
            case let .response(reason): return "cannot answer: \(reason)"
            }
        }
    }

    /// Loads the TSA certificate (leaf first, then intermediates) and its key (PEM).
    /// - Throws: `ResponderError.credentials` naming the file.
    init(certificateFile: String, keyFile: String) throws(ResponderError) {
        var certs =
            Self.readPEM(certificateFile) { (bio: OpaquePointer) -> [OpaquePointer] in
                var certs: [OpaquePointer] = []
                while let cert = PEM_read_bio_X509(bio, nil, nil, nil) { certs.append(cert) }
                return certs
            } ?? []
        ERR_clear_error()
        guard !certs.isEmpty else { throw .credentials(path: certificateFile, reason: "no PEM certificate") }
        guard let key = Self.readPEM(keyFile, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) ?? nil else {
            certs.forEach { X509_free($0) }
            throw .credentials(path: keyFile, reason: "no PEM private key")
        }
        certificate = certs.removeFirst()
        chain = certs
        self.key = key
    }

    deinit {
        X509_free(certificate)
        chain.forEach { X509_free($0) }
        EVP_PKEY_free(key)
    }

    /// The answer to `query`; with `wrongImprint` the token is over another imprint (one bit
    /// of the query's digest flipped), as a faulty or malicious TSA might answer.
    /// - Throws: `ResponderError.response` when OpenSSL cannot build any answer (a malformed
    ///   query still gets a rejection answer, as RFC 3161 says).
    func respond(to query: [UInt8], wrongImprint: Bool) throws(ResponderError) -> [UInt8] {
        let request = wrongImprint ? Self.flipImprint(query) ?? query : query
        guard let context = TS_RESP_CTX_new() else { throw .response("out of memory") }
        defer { TS_RESP_CTX_free(context) }
        guard let policy = OBJ_txt2obj(Self.policy, 1) else { throw .response("bad policy OID") }
        defer { ASN1_OBJECT_free(policy) }
        guard let stack = dossier_sk_x509_new() else { throw .response("out of memory") }
        defer { dossier_sk_x509_free(stack) }
        chain.forEach { _ = dossier_sk_x509_push(stack, $0) }
        guard TS_RESP_CTX_set_signer_cert(context, certificate) == 1, TS_RESP_CTX_set_signer_key(context, key) == 1,
            TS_RESP_CTX_set_signer_digest(context, EVP_sha256()) == 1, TS_RESP_CTX_set_ess_cert_id_digest(context, EVP_sha256()) == 1,
            TS_RESP_CTX_set_def_policy(context, policy) == 1, TS_RESP_CTX_add_md(context, EVP_sha256()) == 1,
            TS_RESP_CTX_set_certs(context, stack) == 1
        else { throw .response(Self.lastError()) }
        TS_RESP_CTX_set_serial_cb(context, nextSerial, nil)
        let answer: [UInt8]? = request.withUnsafeBytes { raw in
            guard let input = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(input) }
            guard let response = TS_RESP_create_response(context, input) else { return nil }
            defer { TS_RESP_free(response) }
            guard let output = BIO_new(BIO_s_mem()) else { return nil }
            defer { BIO_free(output) }
            guard i2d_TS_RESP_bio(output, response) == 1 else { return nil }
            var data: UnsafeMutablePointer<CChar>?
            let length = dossier_bio_get_mem_data(output, &data)
            guard length > 0, let data else { return nil }
            return Array(UnsafeRawBufferPointer(start: data, count: length))
        }
        guard let answer else { throw .response(Self.lastError()) }
        return answer
    }

    /// The query with the last bit of its message imprint flipped; nil when it does not parse.
    private static func flipImprint(_ query: [UInt8]) -> [UInt8]? {
        let parsed: OpaquePointer? = query.withUnsafeBufferPointer { buffer in
            var cursor = buffer.baseAddress
            return d2i_TS_REQ(nil, &cursor, buffer.count)
        }
        guard let request = parsed else { ERR_clear_error(); return nil }
        defer { TS_REQ_free(request) }
        guard let imprint = TS_REQ_get_msg_imprint(request), let message = TS_MSG_IMPRINT_get_msg(imprint),
            let bytes = ASN1_STRING_get0_data(message)
        else { return nil }
        var digest = Array(UnsafeBufferPointer(start: bytes, count: Int(ASN1_STRING_length(message))))
        guard !digest.isEmpty else { return nil }
        digest[digest.count - 1] ^= 1
        guard
            (digest.withUnsafeBufferPointer {
                TS_MSG_IMPRINT_set_msg(imprint, UnsafeMutablePointer(mutating: $0.baseAddress), Int32($0.count))
            }) == 1,
            let output = BIO_new(BIO_s_mem())
        else { return nil }
        defer { BIO_free(output) }
        guard i2d_TS_REQ_bio(output, request) == 1 else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = dossier_bio_get_mem_data(output, &data)
        guard length > 0, let data else { return nil }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    private static func readPEM<T>(_ path: String, _ read: (OpaquePointer) -> T) -> T? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return [UInt8](data).withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return read(bio)
        }
    }

    private static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown OpenSSL error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// Serial numbers: the time in microseconds, unique enough for a test TSA (RFC 3161 only
/// asks that they be unique per TSA).
private let nextSerial: TS_serial_cb = { _, _ in
    guard let serial = ASN1_INTEGER_new() else { return nil }
    var now = timeval()
    gettimeofday(&now, nil)
    ASN1_INTEGER_set_uint64(serial, UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_usec))
    return serial
}
