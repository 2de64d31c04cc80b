import COpenSSL
import Foundation
import Synchronization

/// Signer chains one `TrustStore` has found trusted, kept so that the next signature of the
/// same signer is not judged from scratch: a peer signs every receipt, and an origin every
/// archive, with the same certificate, and OpenSSL 3.0 spends most of a receipt's check in its
/// two chain verifications (store lookups and key decoders for every certificate of the chain).
///
/// Only a verdict that the chain is trusted is kept, with what it rests on, and it is used only
/// while all of that still holds:
/// - the same signer and carried certificates, byte for byte, under the same store (a store is
///   immutable; a reload or CRL refresh makes a new one, with no verdicts);
/// - a signing time strictly inside every certificate's validity period on the chain found;
/// - `now` not earlier than when it was judged (a CRL not yet valid then stays not valid), and
///   earlier than the first `nextUpdate` of the store's CRLs, and than `lifetime` after the
///   judgement.
/// Anything else, and every refusal, is judged in full. At most `limit` chains are kept, each by
/// a 32-byte digest; all are dropped when a new one would pass the limit, so a peer showing ever
/// new chains costs verifications, never memory. Thread-safe.
final class ChainVerdicts: Sendable {
    /// What a trusted verdict rests on.
    struct Verdict: Sendable {
        /// The latest `notBefore` and earliest `notAfter` on the chain found.
        var validAfter: Date
        var validBefore: Date
        var judgedAt: Date
        /// Past this, the chain is judged again (CRLs stale, or the lifetime spent).
        var holdsUntil: Date
    }

    /// How long a verdict is used at most, CRLs current or not.
    static let lifetime: TimeInterval = 300

    private let limit: Int
    private let verdicts = Mutex<[[UInt8]: Verdict]>([:])

    init(limit: Int) { self.limit = limit }

    /// How many chains are kept.
    var count: Int { verdicts.withLock { $0.count } }

    /// The key of `signer` with `untrusted`: SHA-256 over each certificate's DER, length first
    /// (a digest, so that a peer carrying large or many certificates cannot make the kept keys
    /// large). Nil when a certificate cannot be encoded (then nothing is kept for it).
    static func key(signer: OpaquePointer, untrusted: OpaquePointer?) -> [UInt8]? {
        var certificates = [signer]
        if let untrusted {
            certificates += (0..<dossier_sk_x509_num(untrusted)).compactMap { dossier_sk_x509_value(untrusted, $0) }
        }
        let digest = SHA256()
        for certificate in certificates {
            guard let der = OpenSSL.der(certificate, i2d_X509) else { return nil }
            digest.update(withUnsafeBytes(of: UInt32(der.count).bigEndian) { Array($0) })
            digest.update(der)
        }
        return digest.finish()
    }

    /// Whether the chain under `key` was found trusted and that still holds for a signature
    /// made at `time`, judged at `now`.
    func trusts(_ key: [UInt8], at time: Date, now: Date) -> Bool {
        guard let verdict = verdicts.withLock({ $0[key] }) else { return false }
        return verdict.validAfter < time && time < verdict.validBefore && verdict.judgedAt <= now && now < verdict.holdsUntil
    }

    /// Keeps the verdict that the chain under `key` is trusted.
    func remember(_ key: [UInt8], _ verdict: Verdict) {
        verdicts.withLock { verdicts in
            if verdicts[key] == nil, verdicts.count >= limit { verdicts.removeAll() }
            verdicts[key] = verdict
        }
    }

    /// The validity period common to every certificate of `chain` (a verified chain, leaf first);
    /// nil when a certificate's dates cannot be read.
    static func validity(of chain: OpaquePointer) -> (after: Date, before: Date)? {
        var period = (after: Date.distantPast, before: Date.distantFuture)
        for index in 0..<dossier_sk_x509_num(chain) {
            guard let certificate = dossier_sk_x509_value(chain, index),
                let notBefore = OpenSSL.date(X509_get0_notBefore(certificate)),
                let notAfter = OpenSSL.date(X509_get0_notAfter(certificate))
            else { return nil }
            period = (max(period.after, notBefore), min(period.before, notAfter))
        }
        return period
    }
}
