import COpenSSL
import Foundation

/// One certificate revocation list: who issued it and the window it speaks for.
public struct RevocationList: Sendable, Equatable {
    /// The issuing CA's subject, RFC 2253.
    public var issuer: String
    /// When the CA issued it (`thisUpdate`).
    public var thisUpdate: Date
    /// When the CA promises the next one (`nextUpdate`); past it, the list no longer proves
    /// that a certificate is not revoked.
    public var nextUpdate: Date?
    /// How many certificates it revokes.
    public var revokedCount: Int

    /// Reads the fields of an OpenSSL `X509_CRL*` (borrowed, not freed).
    init(crl: OpaquePointer) {
        issuer = CertificateInfo.render(X509_CRL_get_issuer(crl))
        thisUpdate = OpenSSL.date(X509_CRL_get0_lastUpdate(crl)) ?? .distantPast
        nextUpdate = OpenSSL.date(X509_CRL_get0_nextUpdate(crl))
        revokedCount = X509_CRL_get_REVOKED(crl).map { Int(dossier_sk_num(UnsafeRawPointer($0))) } ?? 0
    }

    /// Whether it is past its `nextUpdate` (or has none) at `now`.
    public func isStale(at now: Date) -> Bool { nextUpdate.map { $0 < now } ?? true }
}

/// Why a CRL fetched from a distribution URL was not taken (the one in force is kept).
public enum RevocationListRefusal: Error, Equatable, CustomStringConvertible {
    /// Neither a PEM nor a DER CRL.
    case unreadable
    /// Its issuer is not one of the trust anchors.
    case unknownIssuer(String)
    /// The issuer's key did not sign it: tampered, or forged.
    case badSignature(issuer: String)
    /// It has no `nextUpdate`, or that time has passed.
    case expired(issuer: String, nextUpdate: Date?)
    /// Its `thisUpdate` lies more than the allowed clock skew in the future.
    case notYetValid(issuer: String, thisUpdate: Date)
    /// It is older than the CRL of the same issuer already in force (a replayed list could
    /// hide a revocation).
    case older(issuer: String, thisUpdate: Date, inForce: Date)

    public var description: String {
        switch self {
        case .unreadable: return "not a PEM or DER CRL"
        case let .unknownIssuer(issuer): return "issued by \(issuer), which is not a trust anchor"
        case let .badSignature(issuer): return "its signature does not verify with the key of \(issuer) (tampered or forged)"
        case let .expired(issuer, next):
            return "the CRL of \(issuer) is expired (nextUpdate \(next.map { $0.formatted(.iso8601) } ?? "missing"))"
        case let .notYetValid(issuer, this): return "the CRL of \(issuer) is not yet valid (thisUpdate \(this.formatted(.iso8601)))"
        case let .older(issuer, this, inForce):
            return "the CRL of \(issuer) issued \(this.formatted(.iso8601)) is older than the one in force (\(inForce.formatted(.iso8601)))"
        }
    }
}

extension TrustStore {
    /// Clock skew tolerated on a fetched CRL's `thisUpdate`.
    public static let revocationListSkew: TimeInterval = 300

    /// Checks a CRL fetched from elsewhere before it is let into any store: PEM or DER, issued
    /// and signed by one of this store's anchors, current at `now` (`thisUpdate` at most
    /// `revocationListSkew` ahead, `nextUpdate` present and ahead), and not older than this
    /// store's CRL of the same issuer. Returns it as PEM (to be kept as the last good copy)
    /// with what it says; never throws, never crashes on any input.
    ///
    /// The signature is checked over the CRL's bytes before its entries are parsed: OpenSSL
    /// parses a CRL into some ten times its size (a forged 30 MB one of 1.4 million entries took
    /// `openssl crl` to 318 MiB), and whoever answers a CRL URL, often plain HTTP, must not make
    /// this process hold that for a list no anchor signed.
    public func admit(revocationList bytes: [UInt8], now: Date = Date()) -> Result<
        (pem: [UInt8], list: RevocationList), RevocationListRefusal
    > {
        defer { ERR_clear_error() }
        let der = OpenSSL.der(fromPEM: bytes, label: PEM_STRING_X509_CRL) ?? bytes
        guard let signed = SignedCRL(der) else { return .failure(.unreadable) }
        guard let name = signed.issuer() else { return .failure(.unreadable) }
        defer { X509_NAME_free(name) }
        let issuerName = CertificateInfo.render(name)
        guard let issuer = dossier_store_find_certificate(store, name) else { return .failure(.unknownIssuer(issuerName)) }
        defer { X509_free(issuer) }
        guard let key = X509_get0_pubkey(issuer), signed.verify(with: key) else { return .failure(.badSignature(issuer: issuerName)) }
        guard let crl = OpenSSL.decode(der[...], { d2i_X509_CRL(nil, &$0, $1) }) else { return .failure(.unreadable) }
        defer { X509_CRL_free(crl) }
        let list = RevocationList(crl: crl)
        guard !list.isStale(at: now) else { return .failure(.expired(issuer: list.issuer, nextUpdate: list.nextUpdate)) }
        guard list.thisUpdate <= now.addingTimeInterval(Self.revocationListSkew) else {
            return .failure(.notYetValid(issuer: list.issuer, thisUpdate: list.thisUpdate))
        }
        if let inForce = revocationLists.filter({ $0.issuer == list.issuer }).map(\.thisUpdate).max(), list.thisUpdate < inForce {
            return .failure(.older(issuer: list.issuer, thisUpdate: list.thisUpdate, inForce: inForce))
        }
        guard let pem = OpenSSL.collect({ PEM_write_bio_X509_CRL($0, crl) }) else { return .failure(.unreadable) }
        return .success((pem, list))
    }
}

/// A CRL's DER taken apart as far as its signature needs, entries unparsed: CertificateList
/// { tbsCertList { [version], signature, issuer, ... }, signatureAlgorithm, signatureValue }.
struct SignedCRL {
    let toBeSigned: ArraySlice<UInt8>
    let algorithm: ArraySlice<UInt8>
    let signature: ArraySlice<UInt8>
    let issuerName: ArraySlice<UInt8>

    /// Nil unless `der` is that shape in definite-length DER, and names the same signature
    /// algorithm inside and outside what is signed (as `X509_CRL_verify` requires).
    init?(_ der: [UInt8]) {
        var reader = DERReader(der[...])
        guard let list = reader.next(), list.tag == 0x30, reader.atEnd else { return nil }
        var parts = DERReader(list.content)
        guard let tbs = parts.next(), tbs.tag == 0x30, let algorithm = parts.next(), algorithm.tag == 0x30,
            let signature = parts.next(), signature.tag == 0x03, parts.atEnd
        else { return nil }
        var fields = DERReader(tbs.content)
        guard var inner = fields.next() else { return nil }
        if inner.tag == 0x02 {
            guard let next = fields.next() else { return nil }
            inner = next
        }
        guard inner.tag == 0x30, Array(inner.whole) == Array(algorithm.whole), let issuer = fields.next(), issuer.tag == 0x30 else {
            return nil
        }
        (toBeSigned, self.algorithm, self.signature, issuerName) = (tbs.whole, algorithm.whole, signature.whole, issuer.whole)
    }

    /// The issuer's name, parsed (the caller frees it); nil when OpenSSL refuses it.
    func issuer() -> OpaquePointer? {
        OpenSSL.decode(issuerName) { d2i_X509_NAME(nil, &$0, $1) }
    }

    /// Whether `key` signed the to-be-signed bytes as they are, with the algorithm named. They
    /// travel as an ASN.1 ANY, which OpenSSL keeps and re-encodes byte for byte, so nothing of
    /// the entries is parsed.
    func verify(with key: OpaquePointer) -> Bool {
        guard let data = OpenSSL.decode(toBeSigned, { d2i_ASN1_TYPE(nil, &$0, $1) }) else { return false }
        defer { ASN1_TYPE_free(data) }
        guard let algorithm = OpenSSL.decode(algorithm, { d2i_X509_ALGOR(nil, &$0, $1) }) else { return false }
        defer { X509_ALGOR_free(algorithm) }
        guard let value = OpenSSL.decode(signature, { d2i_ASN1_BIT_STRING(nil, &$0, $1) }) else { return false }
        defer { ASN1_BIT_STRING_free(value) }
        return ASN1_item_verify(ASN1_ANY_it(), algorithm, value, UnsafeMutableRawPointer(data), key) == 1
    }
}
