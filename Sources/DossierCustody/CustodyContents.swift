import DossierArchive
import DossierSystem

/// A torn tail: bytes after the last intact record of a file, left by a write a crash
/// interrupted. They were never acknowledged; opening the log cuts them off.
public struct TornTail: Sendable, Equatable {
    /// The file's path.
    public var file: String
    /// Where the intact part ends.
    public var offset: Int
    /// Bytes of records after it (the zeros written ahead after them not counted).
    public var bytes: Int
}

/// How far a custody file could be read.
struct FileExtent: Sendable {
    /// Nil when the file ends cleanly after a record.
    var stop: RecordFile.Stop?
    /// When `stop` is a torn tail starting at a record whose bytes were all there: what was
    /// wrong with it (`RecordFile.Scan.tornRecord`).
    var tornRecord: RecordDamage?
    /// Whether the intact part holds a batch marker (`RecordFile.Scan.sawMarker`).
    var sawMarker = false
    /// Where the usable part ends (0 when not even the magic is whole).
    var end = 0
    /// The file's size as read.
    var size = 0
    /// Where its last non-zero byte ends: the zeros written ahead of the last record are not
    /// counted in what a torn tail cuts off.
    var dataEnd = 0
}

/// What a custody directory holds, read without locking or changing anything: the log opens
/// from it, and the audit commands check it while a daemon may be appending (a record being
/// written then shows as a torn tail).
public struct CustodyContents: Sendable {
    /// The entries file in a custody directory.
    public static let logFileName = "custody.log"
    /// The checkpoints file beside it.
    public static let checkpointsFileName = "checkpoints.log"

    public let logPath: String
    public let checkpointsPath: String
    /// The readable entries, in order: entry i is leaf i.
    public private(set) var events: [CustodyEvent] = []
    /// Each entry's stored bytes (the leaf), as read.
    public private(set) var leaves: [[UInt8]] = []
    /// Each entry's leaf hash, recomputed from `leaves`.
    public private(set) var leafHashes: [TreeHash] = []
    /// The readable checkpoints, in file order.
    public private(set) var checkpoints: [SignedCheckpoint] = []
    /// How far `custody.log` could be read, and why not further.
    var entriesExtent = FileExtent()
    /// How far `checkpoints.log` could be read, and why not further.
    var checkpointsExtent = FileExtent()

    /// Reads `directory`. A missing file reads as empty.
    /// - Throws: `CustodyError.system` when a file exists but cannot be read.
    public static func read(directory: String) throws(CustodyError) -> CustodyContents {
        var contents = CustodyContents(directory: directory)
        let entries: [(CustodyEvent, [UInt8])]
        (entries, contents.entriesExtent) = try decode(contents.logPath, magic: RecordFile.entriesMagic) {
            payload throws(CanonicalDecodeFailure) in (try CustodyEvent(leafBytes: payload), Array(payload))
        }
        contents.events = entries.map(\.0)
        contents.leaves = entries.map(\.1)
        contents.leafHashes = contents.leaves.map(TreeHashing.leaf)
        (contents.checkpoints, contents.checkpointsExtent) = try decode(contents.checkpointsPath, magic: RecordFile.checkpointsMagic) {
            payload throws(CanonicalDecodeFailure) in try SignedCheckpoint(recordPayload: payload)
        }
        return contents
    }

    /// The records of one file decoded in order, up to the first that is torn, damaged or does
    /// not decode.
    private static func decode<Item>(
        _ path: String, magic: [UInt8], _ decode: (ArraySlice<UInt8>) throws(CanonicalDecodeFailure) -> Item
    ) throws(CustodyError) -> ([Item], FileExtent) {
        let file = try readIfPresent(path)
        let scan = RecordFile.scan(file, magic: magic)
        var extent = FileExtent(
            stop: scan.stop, tornRecord: scan.tornRecord, sawMarker: scan.sawMarker, end: scan.end, size: file.count,
            dataEnd: scan.stop == nil ? file.count : endBeforeTrailingZeros(file))
        var items: [Item] = []
        for (index, record) in scan.records.enumerated() {
            do throws(CanonicalDecodeFailure) {
                items.append(try decode(record.payload))
            } catch {
                extent.stop = .damaged(index: index, offset: record.offset, .undecodable(error.reason))
                extent.tornRecord = nil
                extent.end = record.offset
                break
            }
        }
        return (items, extent)
    }

    private init(directory: String) {
        logPath = directory + "/" + Self.logFileName
        checkpointsPath = directory + "/" + Self.checkpointsFileName
    }

    private static func readIfPresent(_ path: String) throws(CustodyError) -> [UInt8] {
        guard FileIO.exists(path) else { return [] }
        do { return try FileIO.readAll(path) } catch { throw .system(error) }
    }

    /// The torn tails of the two files, which opening the log cuts off.
    public var tornTails: [TornTail] {
        [(logPath, entriesExtent), (checkpointsPath, checkpointsExtent)].compactMap { path, extent in
            guard case .torn(let offset) = extent.stop, extent.size > offset else { return nil }
            return TornTail(file: path, offset: offset, bytes: max(0, extent.dataEnd - offset))
        }
    }

    /// The newest checkpoint read.
    public var latestCheckpoint: SignedCheckpoint? { checkpoints.last }

    /// The first thing wrong, in the order of the tree: each checkpoint in turn is checked
    /// against the entries it covers (tree sizes growing, root recomputed, and with `trust`
    /// the signature, and its timestamp token as `timestamps` says); an unreadable entry is
    /// reported once no earlier checkpoint failed; an unreadable checkpoint record last. Torn
    /// tails are not problems.
    public func firstProblem(trust: TrustStore?, timestamps: TimestampPolicy = .none) -> CustodyProblem? {
        var frontier = MerkleFrontier()
        var previous: UInt64?
        for (index, signed) in checkpoints.enumerated() {
            let size = signed.checkpoint.treeSize
            let fault: CheckpointFault? = {
                guard size <= UInt64(leafHashes.count) else { return .beyondLog(entries: UInt64(leafHashes.count)) }
                if let previous, size <= previous { return .notIncreasing(previous: previous) }
                while frontier.size < size { frontier.append(leafHashes[Int(frontier.size)]) }
                guard frontier.root == signed.checkpoint.rootHash else { return .rootMismatch(firstEntry: previous ?? 0) }
                return trust.flatMap { signed.signatureFault(trust: $0, timestamps: timestamps) }
            }()
            if let fault {
                // Entries the checkpoint covers but that cannot be read are the first fault,
                // and a torn tail cutting into them was damage after all.
                if case .beyondLog = fault, let problem = entryProblem ?? cutEntry { return problem }
                return .checkpoint(file: checkpointsPath, index: index, treeSize: size, fault)
            }
            previous = size
        }
        if let entryProblem { return entryProblem }
        if case .damaged(let index, _, let damage) = checkpointsExtent.stop {
            return .checkpoint(file: checkpointsPath, index: index, treeSize: nil, .record(damage))
        }
        return nil
    }

    private var entryProblem: CustodyProblem? {
        guard case .damaged(let index, let offset, let damage) = entriesExtent.stop else { return nil }
        return .entry(file: logPath, index: UInt64(index), offset: offset, damage)
    }

    /// The entry a torn tail starts at, when its bytes were all there but did not check out.
    private var cutEntry: CustodyProblem? {
        guard case .torn(let offset) = entriesExtent.stop, let damage = entriesExtent.tornRecord else { return nil }
        return .entry(file: logPath, index: UInt64(leafHashes.count), offset: offset, damage)
    }
}
