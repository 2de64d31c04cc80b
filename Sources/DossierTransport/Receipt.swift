import DossierArchive
import DossierModel
import Foundation

/// The receiver's signed statement that it accepted or rejected an archive (docs/protocol.md),
/// kept by the sender as proof of delivery. On the wire: CMS SignedData, attached, DER, over the
/// JSON of this value (sorted keys, ISO 8601 time).
public struct Receipt: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case accepted, rejected }

    public var archiveId: String
    /// SHA-256 of the archive as received, lowercase hex.
    public var digest: String
    /// The origin authority's code.
    public var sender: String
    /// The receiving authority's code: the receipt's signer.
    public var receiver: String
    public var receivedAt: Date
    public var status: Status
    /// Every failed check, for a rejection.
    public var reasons: [Finding]
    /// Where the receiver logged this arrival in its custody log, with a signed checkpoint
    /// that covers it; absent from receivers without a custody log.
    public var custody: CustodyReference?

    public init(
        archiveId: String, digest: String, sender: String, receiver: String, receivedAt: Date,
        status: Status, reasons: [Finding], custody: CustodyReference? = nil
    ) {
        self.archiveId = archiveId
        self.digest = digest
        self.sender = sender
        self.receiver = receiver
        self.receivedAt = receivedAt
        self.status = status
        self.reasons = reasons
        self.custody = custody
    }

    /// The receipt's JSON, as signed.
    public func json() -> [UInt8] { signedJSON(self) }

    /// Signs the receipt with the receiver's identity, with an RFC 3161 token on the signature
    /// when `timestamping` is given and its TSA answers at the first attempt (best effort).
    /// - Throws: `ArchiveError.signing`.
    public func signed(by identity: SigningIdentity, timestamping: Timestamping? = nil) throws(ArchiveError) -> [UInt8] {
        try identity.signAttached(json(), timestamping: timestamping)
    }

    /// Why a receipt is not accepted as proof of delivery.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// Not a CMS SignedData with a readable receipt inside.
        case malformed(String)
        /// The signature or its signer's chain does not verify.
        case badSignature([Finding])
        /// Signed by another authority than the archive's destination.
        case wrongSigner(expected: String, actual: String?)
        /// The receipt is about another archive or another digest.
        case wrongArchive(expectedId: String, expectedDigest: String, actualId: String, actualDigest: String)

        public var description: String {
            switch self {
            case let .malformed(text): return "malformed receipt: \(text)"
            case let .badSignature(findings):
                return "receipt signature: " + findings.map { "\($0.code): \($0.detail)" }.joined(separator: "; ")
            case let .wrongSigner(expected, actual):
                return "receipt signed by \(actual ?? "no authority"), expected the destination \(expected)"
            case let .wrongArchive(id, digest, actualId, actualDigest):
                return "receipt names archive \(actualId) digest \(actualDigest), expected \(id) digest \(digest)"
            }
        }
    }

    /// Opens a signed receipt and checks that it is proof for exactly this archive: valid
    /// signature by a trusted certificate of `receiver`, naming `archiveId` and `digest`.
    /// - Throws: `Receipt.Problem`.
    public static func open(
        _ signed: [UInt8], trust: TrustStore, receiver: String, archiveId: String, digest: String,
        timestamps: TimestampPolicy = .none, now: Date = Date()
    ) throws -> Receipt {
        let result = SignatureCheck.verifyAttached(signature: signed, trust: trust, timestamps: timestamps, now: now)
        guard result.findings.isEmpty else {
            if result.findings.contains(where: { $0.code == "signature-malformed" }) {
                throw Problem.malformed(result.findings.map(\.detail).joined(separator: "; "))
            }
            throw Problem.badSignature(result.findings)
        }
        guard result.signer?.authority == receiver else {
            throw Problem.wrongSigner(expected: receiver, actual: result.signer?.authority)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let content = result.content, let receipt = try? decoder.decode(Receipt.self, from: Data(content)) else {
            throw Problem.malformed("the signed content is not a receipt")
        }
        guard receipt.receiver == receiver else { throw Problem.wrongSigner(expected: receiver, actual: receipt.receiver) }
        guard receipt.archiveId == archiveId, receipt.digest == digest else {
            throw Problem.wrongArchive(
                expectedId: archiveId, expectedDigest: digest, actualId: receipt.archiveId, actualDigest: receipt.digest)
        }
        return receipt
    }

    /// Reads what a peer sent with a 422 as leniently as the evidence allows: the signed bytes
    /// are kept whenever the signature verifies as `receiver`'s and the JSON inside names no
    /// other archive id (whatever else it holds); the
    /// receipt is returned when it reads as one about this archive; the reasons are taken as
    /// text from whatever shape they have (objects with code and detail, or plain strings).
    public static func rejection(
        _ signed: [UInt8], trust: TrustStore, receiver: String, archiveId: String,
        digest: String, timestamps: TimestampPolicy = .none, now: Date = Date()
    ) -> PeerRejection {
        if let receipt = try? open(
            signed, trust: trust, receiver: receiver, archiveId: archiveId, digest: digest, timestamps: timestamps, now: now)
        {
            return PeerRejection(signed: signed, receipt: receipt, reasons: receipt.reasons.map(\.text))
        }
        let result = SignatureCheck.verifyAttached(signature: signed, trust: trust, timestamps: timestamps, now: now)
        guard result.findings.isEmpty, result.signer?.authority == receiver, let content = result.content else {
            return PeerRejection(signed: nil, receipt: nil, reasons: [])
        }
        let object = try? JSONSerialization.jsonObject(with: Data(content)) as? [String: Any]
        // A statement naming another archive is no evidence about this one, however well signed:
        // kept, a peer's rejection of another archive replayed would stand as this one's. (One
        // naming this id with another digest is kept: it is what the peer said of this archive.)
        if let named = object?["archiveId"] as? String, named != archiveId { return PeerRejection(signed: nil, receipt: nil, reasons: []) }
        let reasons = (object?["reasons"] as? [Any] ?? []).map { reason -> String in
            if let text = reason as? String { return text }
            if let fields = reason as? [String: Any] {
                return [fields["code"], fields["detail"]].compactMap { $0.map { "\($0)" } }.joined(separator: ": ")
            }
            return "\(reason)"
        }
        return PeerRejection(signed: signed, receipt: nil, reasons: reasons)
    }
}

/// The JSON form of a signed statement (receipt, completion notice): sorted keys, ISO 8601
/// times, no escaped slashes. Their members are plain strings, dates, numbers and enums, so
/// encoding cannot fail.
func signedJSON(_ value: some Encodable) -> [UInt8] {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return [UInt8]((try? encoder.encode(value)) ?? Data())
}

extension Finding {
    /// `code: detail`, as operators read a reason.
    var text: String { "\(code): \(detail)" }
}
