import COpenSSL
import Synchronization

/// Parses CMS SignedData without re-parsing the certificates it carries when they were seen
/// before: a peer's every receipt (and every archive of one origin) carries the same signer
/// certificate, and OpenSSL 3.0 builds a fresh key decoder for each certificate it parses
/// (`OSSL_DECODER_CTX_new_for_pkey`): about 0.13 ms, nearly all of a receipt's parse and half of
/// its whole check on the build machine.
///
/// The signature's DER is split into the certificates and the rest; the rest is parsed, and the
/// certificates are attached again as `X509` objects: the ones kept when their exact bytes were
/// last found on a trusted chain, the others parsed now. What verification then sees is the same
/// structure the whole DER would have given, so this is only a shortcut: anything it does not
/// expect (PEM, indefinite lengths, trailing bytes, a certificate OpenSSL refuses, an SM2 key, the
/// same certificate twice) returns nil, and the caller parses the whole DER as before.
enum CarriedCertificates {
    /// Certificates known by their DER, shared by every check in the process. Sized for the
    /// national network: some 400 offices, each with its TLS and, where separate, its signing
    /// certificate, and the CAs between them and the root.
    static let shared = CertificateCache(limit: 1024)

    /// A certificate a signature carries: its exact DER, and the `X509` attached in its place.
    struct Carried {
        var der: ArraySlice<UInt8>
        var certificate: CertificateCache.Certificate
    }

    /// The parsed CMS with its carried certificates taken from `cache` where kept, and those
    /// certificates; nil for the caller to parse `der` in full. The caller frees the CMS
    /// (`CMS_ContentInfo_free`).
    static func parse(_ der: [UInt8], cache: CertificateCache) -> (cms: OpaquePointer, carried: [Carried])? {
        guard let split = split(der) else { return nil }
        var carried: [Carried] = []
        for bytes in split.certificates {
            guard let certificate = cache.certificate(der: bytes) else { return nil }
            carried.append(Carried(der: bytes, certificate: certificate))
        }
        let parsed = OpenSSL.withMemoryBIO(split.rest) { d2i_CMS_bio($0, nil) } ?? nil
        guard let cms = parsed else {
            ERR_clear_error()
            return nil
        }
        for item in carried where CMS_add1_cert(cms, item.certificate.x509) != 1 {
            ERR_clear_error()
            CMS_ContentInfo_free(cms)
            return nil
        }
        return (cms, carried)
    }

    /// Keeps in `cache` those of `carried` that are on `chain`, a chain a `TrustStore` found
    /// trusted (compared by object: the chain holds the very `X509`s attached). A carried
    /// certificate off the chain is never kept, whatever signature carried it.
    static func keep(_ carried: [Carried], on chain: [OpaquePointer], in cache: CertificateCache) {
        for item in carried where chain.contains(item.certificate.x509) {
            cache.keep(item.certificate, der: item.der)
        }
    }

    /// `der` as ContentInfo { contentType, [0] SignedData { ..., certificates [0], ... } }
    /// without the certificates field, and each certificate's DER; nil when `der` is not that
    /// shape in definite-length DER, or carries no certificates.
    static func split(_ der: [UInt8]) -> (rest: [UInt8], certificates: [ArraySlice<UInt8>])? {
        guard let (contentType, found) = signedData(der) else { return nil }
        var fields = found
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

    /// How many bytes of `der` are its encapsulated content (the OCTET STRING's contents in
    /// SignedData's encapContentInfo; 0 when detached); nil when `der` is not ContentInfo with
    /// SignedData in definite-length DER.
    static func contentBytes(in der: [UInt8]) -> Int? {
        guard var (_, fields) = signedData(der), fields.next()?.tag == 0x02, fields.next()?.tag == 0x31,
            let encapsulated = fields.next(), encapsulated.tag == 0x30
        else { return nil }
        var reader = DERReader(encapsulated.content)
        guard reader.next()?.tag == 0x06 else { return nil }
        guard let explicit = reader.next() else { return reader.atEnd ? 0 : nil }
        var inner = DERReader(explicit.content)
        guard explicit.tag == 0xA0, reader.atEnd, let content = inner.next(), content.tag == 0x04, inner.atEnd else { return nil }
        return content.content.count
    }

    /// ContentInfo { contentType, [0] SignedData }: the content type, and a reader over
    /// SignedData's fields.
    private static func signedData(_ der: [UInt8]) -> (contentType: DERReader.Element, fields: DERReader)? {
        var reader = DERReader(der[...])
        guard let contentInfo = reader.next(), contentInfo.tag == 0x30, reader.atEnd else { return nil }
        var outer = DERReader(contentInfo.content)
        guard let contentType = outer.next(), contentType.tag == 0x06, let explicit = outer.next(), explicit.tag == 0xA0, outer.atEnd
        else { return nil }
        var wrapper = DERReader(explicit.content)
        guard let signedData = wrapper.next(), signedData.tag == 0x30, wrapper.atEnd else { return nil }
        return (contentType, DERReader(signedData.content))
    }
}

/// X509 certificates parsed once per distinct DER, kept only when something verified them (a
/// chain found trusted, a TLS handshake), at most `limit` of them (all are dropped when a new
/// one would pass the limit). A certificate that was only shown, however often, is parsed each
/// time and never kept: OpenSSL's parsed form of 16 KiB of DER can take 370 KiB (thousands of
/// one-letter names), and what an authenticated peer can make this process hold must be bounded
/// by what the PKI issued, not by what it can send. SM2 certificates are not kept: checking an
/// SM2 chain sets its ID on the certificates, which a shared object must not undergo.
/// Thread-safe.
final class CertificateCache: Sendable {
    /// A certificate as OpenSSL parsed it; freed with the last reference.
    ///
    /// `@unchecked Sendable`, safe to share: nothing here changes the X509 after parsing (SM2
    /// ones, whose chain check sets an ID on them, are never kept), and OpenSSL guards the values
    /// it computes lazily on a certificate (extension flags, the public key) with its own locks.
    final class Certificate: @unchecked Sendable {
        let x509: OpaquePointer
        private let described = Mutex<CertificateInfo?>(nil)
        init(_ x509: OpaquePointer) { self.x509 = x509 }
        deinit { X509_free(x509) }

        /// What the certificate says, read once: a receipt's or an archive's signer is described
        /// in every verdict, and rendering its names and fingerprint was a twentieth of a
        /// client's CPU a push (`perf`, `dossier-bench push-load`).
        var info: CertificateInfo {
            described.withLock { described in
                if let described { return described }
                let info = CertificateInfo(x509: x509)
                described = info
                return info
            }
        }
    }

    /// Certificates larger than this are parsed every time, never kept.
    static let largestKept = 16 << 10

    private let limit: Int
    // Keys are copies: a slice would keep the whole signature it came from alive.
    private let kept = Mutex<[[UInt8]: Certificate]>([:])

    init(limit: Int) { self.limit = limit }

    /// How many certificates are kept.
    var count: Int { kept.withLock { $0.count } }

    /// The certificate whose DER is exactly `der`: the one kept, or else parsed now and kept
    /// only with `keep` (for a certificate the caller has verified); nil when OpenSSL refuses it,
    /// it trails bytes, its key is SM2, or it is larger than `largestKept`.
    func certificate(der: ArraySlice<UInt8>, keep: Bool = false) -> Certificate? {
        guard der.count <= Self.largestKept else { return nil }
        let key = Array(der)
        if let known = kept.withLock({ $0[key] }) { return known }
        guard let parsed = Self.parse(der) else { return nil }
        if keep { self.keep(parsed, key: key) }
        return parsed
    }

    /// Keeps `certificate`, parsed from exactly `der`, which the caller has verified.
    func keep(_ certificate: Certificate, der: ArraySlice<UInt8>) {
        guard der.count <= Self.largestKept else { return }
        keep(certificate, key: Array(der))
    }

    private func keep(_ certificate: Certificate, key: [UInt8]) {
        kept.withLock { kept in
            guard kept[key] == nil else { return }
            if kept.count >= limit { kept.removeAll() }
            kept[key] = certificate
        }
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
