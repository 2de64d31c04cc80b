import COpenSSL
import Foundation

/// What the project reads from an X.509 certificate: who it names and when it is valid.
/// The authority is the 6-digit division code in the subject's `serialNumber` attribute
/// (Certs/README.md).
public struct CertificateInfo: Codable, Sendable, Equatable {
    /// The subject in RFC 2253 form, UTF-8 kept as is.
    public var subject: String
    /// The issuer in RFC 2253 form.
    public var issuer: String
    /// The subject's `serialNumber` attribute: the authority code, when there is exactly one
    /// (a certificate naming two codes identifies no authority).
    public var authority: String?
    public var notBefore: Date?
    public var notAfter: Date?
    /// SHA-256 of the certificate's DER, lowercase hex (what `openssl x509 -fingerprint -sha256` shows).
    public var fingerprint: String

    /// The subject's CN (the authority's name), when present.
    public var commonName: String? {
        subject.split(separator: ",").first { $0.hasPrefix("CN=") }.map { String($0.dropFirst(3)) }
    }

    /// Reads the fields of an OpenSSL `X509*` (borrowed, not freed).
    init(x509 cert: OpaquePointer) {
        subject = Self.render(X509_get_subject_name(cert))
        issuer = Self.render(X509_get_issuer_name(cert))
        authority = Self.serialNumberAttribute(X509_get_subject_name(cert))
        notBefore = OpenSSL.date(X509_get0_notBefore(cert))
        notAfter = OpenSSL.date(X509_get0_notAfter(cert))
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        X509_digest(cert, EVP_sha256(), &digest, &length)
        fingerprint = digest.prefix(Int(length)).hexString
    }

    /// The `authority` of a DER certificate that a TLS handshake verified (as TLS stacks hand
    /// them over); nil when it does not parse or names no single code. A server asks it of every
    /// request's client certificate: it takes the certificate parsed once for the process, and
    /// kept (`CarriedCertificates`' cache) because the handshake verified it, where reading a
    /// whole `CertificateInfo` each time was a tenth of the receiver's CPU a push, and
    /// `d2i_X509` alone (which also hashes the certificate and reads its extensions) 6 % (`perf`,
    /// `dossier-bench e2e`).
    public static func authority(der: [UInt8]) -> String? {
        if let known = CarriedCertificates.shared.certificate(der: der[...], keep: true) {
            return serialNumberAttribute(X509_get_subject_name(known.x509))
        }
        // Not kept (SM2, too large) or refused: parsed here, for this call only.
        guard let cert = OpenSSL.certificate(der[...]) else { return nil }
        defer { X509_free(cert) }
        return serialNumberAttribute(X509_get_subject_name(cert))
    }

    /// An X.509 name in RFC 2253 form, UTF-8 kept as is.
    static func render(_ name: OpaquePointer?) -> String {
        guard let name else { return "" }
        let bytes = OpenSSL.collect { X509_NAME_print_ex($0, name, 0, dossier_xn_flags_utf8()) }
        return String(decoding: bytes ?? [], as: UTF8.self)
    }

    private static func serialNumberAttribute(_ name: OpaquePointer?) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, NID_serialNumber, -1)
        guard index >= 0, X509_NAME_get_index_by_NID(name, NID_serialNumber, index) < 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry), let bytes = ASN1_STRING_get0_data(data)
        else { return nil }
        let length = Int(ASN1_STRING_length(data))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: max(0, length)), as: UTF8.self)
    }
}
