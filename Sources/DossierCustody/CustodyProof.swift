import DossierArchive
import Foundation

/// Inclusion proofs of one archive's custody events against a signed checkpoint: what
/// `dossierctl audit prove` prints and `dossierctl audit check-proof` verifies offline with
/// nothing but the authority's CA (docs/custody-log.md, "Proofs").
///
/// The signed checkpoint and each leaf travel as the exact bytes that were signed and hashed
/// (base64); the readable copies beside them (`checkpoint`, `event`, `leafHash`) must agree
/// with those bytes, so that what a person reads is what was proven.
public struct CustodyProofBundle: Codable, Sendable, Equatable {
    /// The only `format` accepted.
    public static let formatName = "dossierd-custody-proof/1"

    /// The signed checkpoint the proofs lead to.
    public struct SignedHead: Codable, Sendable, Equatable {
        /// Readable copy of the statement.
        public var checkpoint: Checkpoint
        /// The signed statement's bytes, base64.
        public var statement: String
        /// The CMS SignedData (DER), base64.
        public var signature: String
    }

    /// One event and its audit path.
    public struct Entry: Codable, Sendable, Equatable {
        public var leafIndex: UInt64
        /// Readable copy of the leaf.
        public var event: CustodyEvent
        /// The leaf's canonical bytes, base64.
        public var leaf: String
        public var leafHash: TreeHash
        /// RFC 9162 inclusion path, nearest sibling first.
        public var auditPath: [TreeHash]
    }

    public var format: String
    public var archiveId: String
    public var checkpoint: SignedHead
    public var entries: [Entry]

    /// Proofs for every event of `archiveId` the latest checkpoint of `contents` covers.
    /// - Returns: the bundle (possibly with no entries) and how many of the archive's events
    ///   are too recent for that checkpoint.
    /// - Throws: `.outOfRange` when there is no checkpoint yet or it covers entries that
    ///   cannot be read (check `firstProblem` first).
    public static func make(archiveId: String, from contents: CustodyContents) throws(CustodyError) -> (CustodyProofBundle, uncovered: Int)
    {
        guard let latest = contents.latestCheckpoint else { throw .outOfRange("the log has no checkpoint yet") }
        let size = latest.checkpoint.treeSize
        guard size <= UInt64(contents.leafHashes.count) else {
            throw .outOfRange("the checkpoint covers \(size) entries, \(contents.leafHashes.count) can be read")
        }
        let tree = contents.leafHashes[..<Int(size)]
        let indices = contents.events.indices.filter { contents.events[$0].archiveId == archiveId }
        let entries = indices.filter { $0 < tree.count }.compactMap { index -> Entry? in
            guard let path = MerkleTree.inclusionProof(index: index, leaves: tree) else { return nil }
            return Entry(
                leafIndex: UInt64(index), event: contents.events[index],
                leaf: Data(contents.leaves[index]).base64EncodedString(),
                leafHash: contents.leafHashes[index], auditPath: path)
        }
        let head = SignedHead(
            checkpoint: latest.checkpoint, statement: Data(latest.statement).base64EncodedString(),
            signature: Data(latest.signature).base64EncodedString())
        let bundle = CustodyProofBundle(format: formatName, archiveId: archiveId, checkpoint: head, entries: entries)
        return (bundle, indices.count - entries.count)
    }

    /// The bundle as pretty JSON with sorted keys.
    public func json() -> [UInt8] {
        // Strings, integers, hashes and second-precision dates always encode.
        Array((try? Self.encoder.encode(self)) ?? Data())
    }

    /// Reads a bundle written by `json()`.
    /// - Throws: `ProofFault.malformed` with the decoder's reason.
    public static func parse(json: [UInt8]) throws(ProofFault) -> CustodyProofBundle {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(CustodyProofBundle.self, from: Data(json)) } catch {
            throw .malformed("not a custody proof: \(error)")
        }
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// What a bundle proves once verified.
    public struct Verified: Sendable, Equatable {
        /// The checkpoint, as signed.
        public var checkpoint: Checkpoint
        /// The events, as hashed, by leaf index.
        public var events: [LoggedEvent]
    }

    /// Verifies the bundle offline: the checkpoint's signature by a certificate `trust`
    /// accepts, over the statement, by the authority it names; each leaf an event of this
    /// archive; each audit path leading from its leaf to the signed root. A timestamp token on
    /// the checkpoint's signature is judged as `timestamps` says. Pure apart from the signature
    /// check (no file or network access).
    /// - Throws: the first `ProofFault`.
    public func verify(trust: TrustStore, timestamps: TimestampPolicy = .none) throws(ProofFault) -> Verified {
        guard format == Self.formatName else { throw .malformed("format \(format) is not \(Self.formatName)") }
        guard let statement = Data(base64Encoded: checkpoint.statement), let signature = Data(base64Encoded: checkpoint.signature) else {
            throw .malformed("the checkpoint's statement or signature is not base64")
        }
        let signed: SignedCheckpoint
        do { signed = try SignedCheckpoint(statement: Array(statement), signature: Array(signature)) } catch {
            throw .malformed("checkpoint statement: \(error.reason)")
        }
        if let fault = signed.signatureFault(trust: trust, timestamps: timestamps) { throw .checkpoint(fault) }
        guard signed.checkpoint == checkpoint.checkpoint else { throw .readableCopyDiffers("checkpoint") }
        guard !entries.isEmpty else { throw .malformed("no entries") }
        var events: [LoggedEvent] = []
        for entry in entries {
            guard let leaf = Data(base64Encoded: entry.leaf) else { throw .malformed("entry \(entry.leafIndex): leaf is not base64") }
            let event: CustodyEvent
            do { event = try CustodyEvent(leafBytes: Array(leaf)[...]) } catch {
                throw .malformed("entry \(entry.leafIndex): \(error.reason)")
            }
            guard event.archiveId == archiveId else { throw .otherArchive(leafIndex: entry.leafIndex, event.archiveId) }
            let leafHash = TreeHashing.leaf(Array(leaf))
            guard event == entry.event, leafHash == entry.leafHash else {
                throw .readableCopyDiffers("entry \(entry.leafIndex)")
            }
            guard
                MerkleTree.verifyInclusion(
                    leafHash: leafHash, index: entry.leafIndex, treeSize: signed.checkpoint.treeSize,
                    proof: entry.auditPath, root: signed.checkpoint.rootHash)
            else { throw .notIncluded(leafIndex: entry.leafIndex) }
            events.append(LoggedEvent(index: entry.leafIndex, event: event))
        }
        return Verified(checkpoint: signed.checkpoint, events: events)
    }
}

/// An event and its leaf index in the log.
public struct LoggedEvent: Sendable, Equatable {
    public var index: UInt64
    public var event: CustodyEvent
}

/// Why a proof bundle does not prove what it claims.
public enum ProofFault: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not a well-formed bundle.
    case malformed(String)
    /// The checkpoint's signature does not hold.
    case checkpoint(CheckpointFault)
    /// A readable copy does not match the signed or hashed bytes it stands beside.
    case readableCopyDiffers(String)
    /// A leaf is an event of another archive.
    case otherArchive(leafIndex: UInt64, String)
    /// The audit path of this leaf does not lead to the signed root.
    case notIncluded(leafIndex: UInt64)

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed: \(reason)"
        case .checkpoint(let fault): "checkpoint: \(fault)"
        case .readableCopyDiffers(let what): "\(what): the readable copy differs from the signed or hashed bytes"
        case .otherArchive(let index, let id): "entry \(index) is an event of archive \(id)"
        case .notIncluded(let index): "entry \(index): the audit path does not lead to the signed root"
        }
    }
}
