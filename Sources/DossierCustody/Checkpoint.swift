import DossierArchive
import Foundation

/// What a checkpoint states: the log of `authority` held `treeSize` entries with head
/// `rootHash` at `time`. Signed as the exact bytes of its JSON (`statement`), for example
/// `{"authority":"441800","rootHash":"5dc9…","time":"2026-11-28T09:00:00Z","treeSize":12,
/// "type":"dossierd-custody-checkpoint/1"}`; `type` keeps a checkpoint signature from being
/// taken for a receipt signed by the same key.
public struct Checkpoint: Sendable, Equatable, Codable {
    /// The only `type` accepted.
    public static let statementType = "dossierd-custody-checkpoint/1"

    public var type: String
    /// The authority whose log this is (its certificate's `serialNumber`).
    public var authority: String
    /// Entries covered: leaves 0..<treeSize.
    public var treeSize: UInt64
    /// MTH of those entries.
    public var rootHash: TreeHash
    /// When the checkpoint was made, to the second.
    public var time: Date

    /// A statement; `time` is truncated to the second, the precision of its JSON.
    public init(authority: String, treeSize: UInt64, rootHash: TreeHash, time: Date) {
        type = Self.statementType
        self.authority = authority
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.time = Date(timeIntervalSince1970: time.timeIntervalSince1970.rounded(.down))
    }

    /// The JSON that is signed: sorted keys, ISO 8601 time.
    func statementBytes() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        // Encoding strings, integers and a date cannot fail.
        return Array((try? encoder.encode(self)) ?? Data())
    }

    /// Reads a statement.
    /// - Throws: `CanonicalDecodeFailure` for anything but a checkpoint statement.
    static func parse(_ bytes: some Collection<UInt8>) throws(CanonicalDecodeFailure) -> Checkpoint {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let checkpoint = try? decoder.decode(Checkpoint.self, from: Data(bytes)) else {
            throw CanonicalDecodeFailure(reason: "not a checkpoint statement")
        }
        guard checkpoint.type == statementType else {
            throw CanonicalDecodeFailure(reason: "statement type \(checkpoint.type) is not \(statementType)")
        }
        return checkpoint
    }
}

/// A checkpoint with its signature, as stored in `checkpoints.log` and handed out in proofs.
public struct SignedCheckpoint: Sendable, Equatable {
    public var checkpoint: Checkpoint
    /// Exactly the bytes that were signed.
    public var statement: [UInt8]
    /// CMS SignedData (RFC 5652), attached, DER, carrying the signer's certificate.
    public var signature: [UInt8]

    /// Bundles a statement with its signature; the statement is parsed from `statement`.
    /// - Throws: `CanonicalDecodeFailure` when `statement` is not a checkpoint statement.
    public init(statement: [UInt8], signature: [UInt8]) throws(CanonicalDecodeFailure) {
        checkpoint = try Checkpoint.parse(statement)
        self.statement = statement
        self.signature = signature
    }

    /// A checkpoint this log just signed.
    init(checkpoint: Checkpoint, statement: [UInt8], signature: [UInt8]) {
        self.checkpoint = checkpoint
        self.statement = statement
        self.signature = signature
    }

    /// The record payload: `u32 statementLength | statement | signature`.
    func recordPayload() -> [UInt8] {
        var out = CanonicalWriter()
        out.u32(UInt32(statement.count))
        return out.bytes + statement + signature
    }

    init(recordPayload: ArraySlice<UInt8>) throws(CanonicalDecodeFailure) {
        var input = CanonicalReader(recordPayload)
        let length = Int(try input.u32("statementLength"))
        let statement = Array(try input.bytes(length, "statement"))
        try self.init(statement: statement, signature: Array(input.rest()))
    }

    /// Checks the signature against `trust`: valid, by a trusted certificate (at its signing
    /// time), over exactly `statement`, and by the authority the statement names. A timestamp
    /// token on the signature (CAdES-T) is judged as `timestamps` says: with TSA trust, it must
    /// come from a trusted TSA and be over this signature's value, and its genTime is then the
    /// time the signer is judged at; a checkpoint without a token passes unless `required`.
    /// - Returns: nil when all hold, otherwise what does not.
    public func signatureFault(trust: TrustStore, timestamps: TimestampPolicy = .none) -> CheckpointFault? {
        let result = SignatureCheck.verifyAttached(signature: signature, trust: trust, timestamps: timestamps)
        if let finding = result.findings.first { return .signature("\(finding.code): \(finding.detail)") }
        guard result.content == statement else { return .signature("it signs other bytes than the statement") }
        guard let signer = result.signer?.authority, signer == checkpoint.authority else {
            return .signature("signed by \(result.signer?.authority ?? "no authority"), not by \(checkpoint.authority)")
        }
        return nil
    }
}

/// Signs checkpoint statements for the log: the seam where timestamps come in.
///
/// A signer returns an attached CMS SignedData (DER) over exactly the statement's bytes. One
/// that timestamps (RFC 3161, docs/custody-log.md "Checkpoints") embeds the token as the unsigned attribute
/// id-aa-timeStampToken of its SignerInfo (CAdES-T), so the stored format does not change. The
/// call may wait (for a TSA): the log keeps taking appends meanwhile.
public protocol CheckpointSigner: Sendable {
    /// The authority code the signatures will carry.
    var authority: String { get }
    /// Signs `statement`.
    func sign(_ statement: [UInt8]) async throws -> [UInt8]
}

/// Signs with the authority's own certificate and key, without a timestamp.
public struct AuthoritySigner: CheckpointSigner {
    private let identity: SigningIdentity
    public let authority: String

    /// - Throws: `CustodyError.signing` when the certificate carries no authority code.
    public init(identity: SigningIdentity) throws(CustodyError) {
        guard let code = identity.info.authority else {
            throw .signing(reason: "the certificate \(identity.info.subject) has no authority code (serialNumber)")
        }
        self.identity = identity
        authority = code
    }

    public func sign(_ statement: [UInt8]) async throws -> [UInt8] {
        try identity.signAttached(statement)
    }
}
