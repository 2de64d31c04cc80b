import COpenSSL
import DossierSystem
import Foundation

/// Small bridges between OpenSSL's C types and Swift values, shared by the credential and
/// signature code. Every function here is total: failures come back as nil.
enum OpenSSL {
    /// The oldest error on this thread's OpenSSL queue as text, clearing the queue.
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return "unknown OpenSSL error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// A read-only memory BIO over `bytes`, alive for the duration of `body`.
    static func withMemoryBIO<T>(_ bytes: [UInt8], _ body: (OpaquePointer) throws -> T) rethrows -> T? {
        try bytes.withUnsafeBytes { raw -> T? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Everything written to a fresh memory BIO by `body`.
    static func collect(_ body: (OpaquePointer) -> Int32) -> [UInt8]? {
        guard let bio = BIO_new(BIO_s_mem()) else { return nil }
        defer { BIO_free(bio) }
        guard body(bio) > 0 else { return nil }
        var data: UnsafeMutablePointer<CChar>?
        let length = dossier_bio_get_mem_data(bio, &data)
        guard length >= 0, let data else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: length))
    }

    /// The DER of `object` by its `i2d` function (`i2d_X509`, `i2d_X509_ATTRIBUTE`, ...): asked
    /// for the length, then written; nil when it cannot be encoded.
    static func der(
        _ object: OpaquePointer, _ i2d: (OpaquePointer?, UnsafeMutablePointer<UnsafeMutablePointer<UInt8>?>?) -> Int32
    ) -> [UInt8]? {
        let length = i2d(object, nil)
        guard length > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var cursor = buffer.baseAddress
            return i2d(object, &cursor)
        }
        return written == length ? bytes : nil
    }

    /// The object an OpenSSL `d2i_` function reads from the start of `bytes` (`d2i_X509`,
    /// `d2i_X509_CRL`, ...); nil when it refuses them or they are empty.
    static func decode<T>(_ bytes: ArraySlice<UInt8>, _ d2i: (inout UnsafePointer<UInt8>?, Int) -> T?) -> T? {
        bytes.withUnsafeBufferPointer { buffer -> T? in
            var cursor = buffer.baseAddress
            return cursor == nil ? nil : d2i(&cursor, buffer.count)
        }
    }

    /// The certificate `der` starts with, or nil when it does not parse (OpenSSL's error queue
    /// then cleared); the caller frees it with `X509_free`.
    static func certificate(_ der: ArraySlice<UInt8>) -> OpaquePointer? {
        guard let certificate = decode(der, { d2i_X509(nil, &$0, $1) }) else {
            ERR_clear_error()
            return nil
        }
        return certificate
    }

    /// The DER of the first PEM block labelled `label` in `bytes` (`PEM_STRING_CMS`,
    /// `PEM_STRING_X509_CRL`, ...; OpenSSL's own reading: text before it skipped, base64 decoded,
    /// nothing parsed); nil when there is none.
    static func der(fromPEM bytes: [UInt8], label: String) -> [UInt8]? {
        withMemoryBIO(bytes) { bio -> [UInt8]? in
            var data: UnsafeMutablePointer<UInt8>?
            var length = 0
            guard PEM_bytes_read_bio(&data, &length, nil, label, bio, nil, nil) == 1, let data else {
                ERR_clear_error()
                return nil
            }
            defer { CRYPTO_free(data, #file, #line) }
            return Array(UnsafeBufferPointer(start: data, count: length))
        } ?? nil
    }

    /// An ASN.1 time as a `Date`.
    static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }

    /// Reads every PEM certificate in `bytes`, in order.
    static func certificates(pem bytes: [UInt8]) -> [OpaquePointer] {
        withMemoryBIO(bytes) { bio in
            var certs: [OpaquePointer] = []
            while let cert = PEM_read_bio_X509(bio, nil, nil, nil) { certs.append(cert) }
            ERR_clear_error()
            return certs
        } ?? []
    }
}

/// Reads a whole small file (certificates, keys, CRLs, tag files).
/// - Throws: `SystemError` (`EFBIG` when it is larger than `limit`).
func readSmallFile(_ path: String, limit: Int = 16 << 20) throws(SystemError) -> [UInt8] {
    try FileIO.readAll(path, limit: limit)
}
