import DossierArchive
import Foundation

/// The destination's signed word that it registered a transferred vehicle, or refused to
/// (docs/protocol.md, "Completion"): sent to the archive's origin, which then holds the vehicle
/// as transferred out or opens its case again. On the wire: CMS SignedData, attached, DER, over
/// the JSON of this value (sorted keys, ISO 8601 time), signed with the destination's signing
/// identity in its profile, as receipts are.
public struct CompletionNotice: Codable, Sendable, Equatable {
    /// What the destination did with the vehicle.
    public enum Status: String, Codable, Sendable { case registered, refused }

    public var archiveId: String
    /// SHA-256 of the archive as the destination received it, lowercase hex.
    public var digest: String
    public var status: Status
    /// When the destination registered the vehicle, or decided to refuse it.
    public var registeredAt: Date
    /// The plate issued at the destination, when one was (absent otherwise).
    public var newPlate: String?
    /// Why registration was refused; empty for `registered`.
    public var reasons: [String]

    /// The largest signed notice accepted or sent: a few hundred bytes of JSON and a
    /// certificate chain.
    public static let limit = 64 << 10

    public init(archiveId: String, digest: String, status: Status, registeredAt: Date, newPlate: String?, reasons: [String]) {
        self.archiveId = archiveId
        self.digest = digest
        self.status = status
        self.registeredAt = registeredAt
        self.newPlate = newPlate
        self.reasons = reasons
    }

    /// Whether `other` says the same thing about the same archive: an operator completing the
    /// same archive again with the same decision, whenever, gets "already completed".
    public func decidesLike(_ other: CompletionNotice) -> Bool {
        archiveId == other.archiveId && digest == other.digest && status == other.status && newPlate == other.newPlate
            && reasons == other.reasons
    }

    /// The notice's JSON, as signed.
    public func json() -> [UInt8] { signedJSON(self) }

    /// Signs the notice with the destination's identity (blocking: OpenSSL and the TSA), with
    /// an RFC 3161 token over the signature when `timestamping` is given and its TSA answers at
    /// the first attempt, as receipts are: a TSA that fails leaves the notice without a token.
    /// - Throws: `ArchiveError.signing`.
    public func signed(by identity: SigningIdentity, timestamping: Timestamping? = nil) throws(ArchiveError) -> [UInt8] {
        try identity.signAttached(json(), timestamping: timestamping)
    }

    /// Why a signed notice is not taken.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// Not a CMS SignedData with a readable notice inside.
        case malformed(String)
        /// The signature or its signer's chain does not verify.
        case badSignature(String)
        /// Revocation of the signer's or the TSA's chain cannot be judged now (a CRL missing,
        /// not yet valid or stale here): nothing is wrong with the notice, ask again later.
        case undecidable(String)
        /// Signed by another authority than the archive's destination.
        case wrongSigner(expected: String, actual: String?)
        /// The notice is about another archive or another digest.
        case wrongArchive(expectedId: String, expectedDigest: String, actualId: String, actualDigest: String)

        public var description: String {
            switch self {
            case let .malformed(text): return "malformed completion notice: \(text)"
            case let .badSignature(text): return "completion notice signature: \(text)"
            case let .undecidable(text): return "completion notice cannot be judged now: \(text)"
            case let .wrongSigner(expected, actual):
                return "completion notice signed by \(actual ?? "no authority"), expected the archive's destination \(expected)"
            case let .wrongArchive(id, digest, actualId, actualDigest):
                return "completion notice names archive \(actualId) digest \(actualDigest), expected \(id) digest \(digest)"
            }
        }
    }

    /// Opens a signed notice and checks that it is `destination`'s word about exactly this
    /// archive: a valid signature by a trusted, unrevoked certificate of `destination`, naming
    /// `archiveId` and `digest`. Its timestamp token is judged as `timestamps` says, as an
    /// archive's is (`timestamp-untrusted`, `timestamp-mismatch`, and `timestamp-missing` when
    /// required): any of them is `badSignature`; revocation that cannot be judged now, and
    /// nothing else, is `undecidable`. Blocking (OpenSSL): call it on the blocking pool.
    /// - Throws: `CompletionNotice.Problem`.
    public static func open(
        _ signed: [UInt8], trust: TrustStore, destination: String, archiveId: String, digest: String,
        timestamps: TimestampPolicy = .none, now: Date = Date()
    ) throws(Problem) -> CompletionNotice {
        let result = SignatureCheck.verifyAttached(signature: signed, trust: trust, timestamps: timestamps, now: now)
        guard result.findings.isEmpty else {
            let text = result.findings.map { "\($0.code): \($0.detail)" }.joined(separator: "; ")
            if result.findings.contains(where: { $0.code == "signature-malformed" }) { throw .malformed(text) }
            if result.findings.allSatisfy(\.isTransient) { throw .undecidable(text) }
            throw .badSignature(text)
        }
        guard result.signer?.authority == destination else { throw .wrongSigner(expected: destination, actual: result.signer?.authority) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let content = result.content, let notice = try? decoder.decode(CompletionNotice.self, from: Data(content)) else {
            throw .malformed("the signed content is not {archiveId, digest, status, registeredAt, newPlate, reasons} JSON")
        }
        guard notice.archiveId == archiveId, notice.digest == digest else {
            throw .wrongArchive(expectedId: archiveId, expectedDigest: digest, actualId: notice.archiveId, actualDigest: notice.digest)
        }
        return notice
    }
}
