import COpenSSL
import Synchronization

/// Parses CMS SignedData without re-parsing the certificates it carries when they were seen
/// before: a peer's every receipt (and every archive of one origin) carries the same signer
/// certificate, and OpenSSL 3.0 builds a fresh key decoder for each certificate it parses
/// (`OSSL_DECODER_CTX_new_for_pkey`): about 0.13 ms, nearly all of a receipt's parse and half of
/// its whole check on the build machine.
///
/// The signature's DER is split into the certificates and the rest; the rest is parsed, and the
/// certificates are attached again as the `X509` objects parsed the first time their exact bytes
/// were seen. What verification then sees is the same structure the whole DER would have given,
/// so this is only a shortcut: anything it does not expect (PEM, indefinite lengths, trailing
/// bytes, a certificate OpenSSL refuses, an SM2 key, the same certificate twice) returns nil, and
/// the caller parses the whole DER as before.
enum CarriedCertificates {
    /// Certificates known by their DER, shared by every check in the process.
    static let shared = CertificateCache(limit: 256)

    /// The parsed CMS with its carried certificates taken from `cache`, or nil for the caller to
    /// parse `der` in full. The caller frees the result (`CMS_ContentInfo_free`).
    static func parse(_ der: [UInt8], cache: CertificateCache) -> OpaquePointer? {
        guard let split = split(der) else { return nil }
        var certificates: [CertificateCache.Certificate] = []
        for bytes in split.certificates {
            guard let certificate = cache.certificate(der: bytes) else { return nil }
            certificates.append(certificate)
        }
        let parsed = OpenSSL.withMemoryBIO(split.rest) { d2i_CMS_bio($0, nil) } ?? nil
        guard let cms = parsed else {
            ERR_clear_error()
            return nil
        }
        for certificate in certificates where CMS_add1_cert(cms, certificate.x509) != 1 {
            ERR_clear_error()
            CMS_ContentInfo_free(cms)
            return nil
        }
        return cms
    }

    /// `der` as ContentInfo { contentType, [0] SignedData { ..., certificates [0], ... } }
    /// without the certificates field, and each certificate's DER; nil when `der` is not that
    /// shape in definite-length DER, or carries no certificates.
    static func split(_ der: [UInt8]) -> (rest: [UInt8], certificates: [ArraySlice<UInt8>])? {
        var reader = DERReader(der[...])
        guard let contentInfo = reader.next(), contentInfo.tag == 0x30, reader.atEnd else { return nil }
        var outer = DERReader(contentInfo.content)
        guard let contentType = outer.next(), contentType.tag == 0x06, let explicit = outer.next(), explicit.tag == 0xA0, outer.atEnd
        else { return nil }
        var wrapper = DERReader(explicit.content)
        guard let signedData = wrapper.next(), signedData.tag == 0x30, wrapper.atEnd else { return nil }
        var fields = DERReader(signedData.content)
        var kept: [UInt8] = []
        var certificates: [ArraySlice<UInt8>]?
        while let field = fields.next() {
            if field.tag == 0xA0, certificates == nil {
                var set = DERReader(field.content)
                var found: [ArraySlice<UInt8>] = []
                while let certificate = set.next() {
                    guard certificate.tag == 0x30 else { return nil }
                    found.append(certificate.whole)
                }
                guard set.atEnd, !found.isEmpty else { return nil }
                certificates = found
            } else {
                kept += field.whole
            }
        }
        guard fields.atEnd, let certificates else { return nil }
        let rest = DERWriter.tlv(0x30, Array(contentType.whole) + DERWriter.tlv(0xA0, DERWriter.tlv(0x30, kept)))
        return (rest, certificates)
    }
}

/// X509 certificates parsed once per distinct DER, at most `limit` of them (all are dropped when
/// a new one would pass the limit, so a peer sending ever new certificates costs parsing, never
/// memory). SM2 certificates are not kept: checking an SM2 chain sets its ID on the
/// certificates, which a shared object must not undergo. Thread-safe.
final class CertificateCache: Sendable {
    /// A certificate as OpenSSL parsed it; freed with the last reference.
    ///
    /// `@unchecked Sendable`, safe to share: nothing here changes the X509 after parsing (SM2
    /// ones, whose chain check sets an ID on them, are never kept), and OpenSSL guards the values
    /// it computes lazily on a certificate (extension flags, the public key) with its own locks.
    final class Certificate: @unchecked Sendable {
        let x509: OpaquePointer
        init(_ x509: OpaquePointer) { self.x509 = x509 }
        deinit { X509_free(x509) }
    }

    /// Certificates larger than this are parsed every time, never kept.
    static let largestKept = 16 << 10

    private let limit: Int
    // Keys are copies: a slice would keep the whole signature it came from alive.
    private let known = Mutex<[[UInt8]: Certificate?]>([:])

    init(limit: Int) { self.limit = limit }

    /// How many DERs are known (parsed or refused).
    var count: Int { known.withLock { $0.count } }

    /// The certificate whose DER is exactly `der`, parsed now or earlier; nil when OpenSSL
    /// refuses it, it trails bytes, its key is SM2, or it is larger than `largestKept`.
    func certificate(der: ArraySlice<UInt8>) -> Certificate? {
        guard der.count <= Self.largestKept else { return nil }
        let key = Array(der)
        if let seen = known.withLock({ $0[key] }) { return seen }
        let parsed = Self.parse(der)
        known.withLock { known in
            if known.count >= limit { known.removeAll() }
            known[key] = .some(parsed)
        }
        return parsed
    }

    private static func parse(_ der: ArraySlice<UInt8>) -> Certificate? {
        let x509 = der.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let x509 = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            guard cursor == base + buffer.count else {
                X509_free(x509)
                return nil
            }
            return x509
        }
        guard let x509 else {
            ERR_clear_error()
            return nil
        }
        guard !SM2Signature.isSM2(X509_get0_pubkey(x509)) else {
            X509_free(x509)
            ERR_clear_error()
            return nil
        }
        return Certificate(x509)
    }
}

/// Definite-length DER, one element at a time, never reading past its slice.
private struct DERReader {
    struct Element {
        var tag: UInt8
        var content: ArraySlice<UInt8>
        /// Tag, length and content.
        var whole: ArraySlice<UInt8>
    }

    private var bytes: ArraySlice<UInt8>
    init(_ bytes: ArraySlice<UInt8>) { self.bytes = bytes }

    var atEnd: Bool { bytes.isEmpty }

    /// The next element, or nil at the end or at anything but a low-tag, definite-length one
    /// that fits (after which the reader is not at its end).
    mutating func next() -> Element? {
        let start = bytes.startIndex
        guard bytes.count >= 2 else { return nil }
        let tag = bytes[start]
        guard tag & 0x1F != 0x1F else { return nil }
        let first = Int(bytes[start + 1])
        var offset = start + 2
        var length = first
        if first & 0x80 != 0 {
            let octets = first & 0x7F
            guard (1...4).contains(octets), bytes.count >= 2 + octets else { return nil }
            length = 0
            for index in offset..<(offset + octets) { length = length << 8 | Int(bytes[index]) }
            offset += octets
        }
        guard length <= bytes.endIndex - offset else { return nil }
        let end = offset + length
        let element = Element(tag: tag, content: bytes[offset..<end], whole: bytes[start..<end])
        bytes = bytes[end...]
        return element
    }
}

/// DER encoding of a tag, length and content.
private enum DERWriter {
    static func tlv(_ tag: UInt8, _ content: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [tag]
        if content.count < 0x80 {
            out.append(UInt8(content.count))
        } else {
            var length = content.count
            var octets: [UInt8] = []
            while length > 0 {
                octets.insert(UInt8(length & 0xFF), at: 0)
                length >>= 8
            }
            out.append(0x80 | UInt8(octets.count))
            out += octets
        }
        return out + content
    }
}
