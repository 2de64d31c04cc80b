import DossierArchive
import DossierSystem

/// A torn tail: bytes after the last intact record of a file, left by a write a crash
/// interrupted. They were never acknowledged; opening the log cuts them off.
public struct TornTail: Sendable, Equatable {
    /// The file's path.
    public var file: String
    /// Where the intact part ends.
    public var offset: Int
    /// Bytes after it.
    public var bytes: Int
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
    /// The unreadable place in the entries file, when there is one.
    var entriesStop: RecordFile.Stop?
    /// The unreadable place in the checkpoints file, when there is one.
    var checkpointsStop: RecordFile.Stop?
    /// Where each file's intact part ends (0 when not even its magic is there).
    var entriesEnd = 0
    var checkpointsEnd = 0
    /// Sizes of the files as read.
    private var fileSizes: (entries: Int, checkpoints: Int) = (0, 0)

    /// Reads `directory`. A missing file reads as empty.
    /// - Throws: `CustodyError.system` when a file exists but cannot be read.
    public static func read(directory: String) throws(CustodyError) -> CustodyContents {
        var contents = CustodyContents(directory: directory)
        let entries = try readIfPresent(contents.logPath)
        let scan = RecordFile.scan(entries, magic: RecordFile.entriesMagic)
        contents.fileSizes.entries = entries.count
        contents.entriesStop = scan.stop
        contents.entriesEnd = scan.end
        for (index, record) in scan.records.enumerated() {
            do throws(CanonicalDecodeFailure) {
                contents.events.append(try CustodyEvent(leafBytes: record.payload))
            } catch {
                contents.entriesStop = .damaged(index: index, offset: record.offset, .undecodable(error.reason))
                contents.entriesEnd = record.offset
                break
            }
            contents.leaves.append(Array(record.payload))
            contents.leafHashes.append(TreeHashing.leaf(Array(record.payload)))
        }

        let checkpoints = try readIfPresent(contents.checkpointsPath)
        let checkpointScan = RecordFile.scan(checkpoints, magic: RecordFile.checkpointsMagic)
        contents.fileSizes.checkpoints = checkpoints.count
        contents.checkpointsStop = checkpointScan.stop
        contents.checkpointsEnd = checkpointScan.end
        for (index, record) in checkpointScan.records.enumerated() {
            do throws(CanonicalDecodeFailure) {
                contents.checkpoints.append(try SignedCheckpoint(recordPayload: record.payload))
            } catch {
                contents.checkpointsStop = .damaged(index: index, offset: record.offset, .undecodable(error.reason))
                contents.checkpointsEnd = record.offset
                break
            }
        }
        return contents
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
        var tails: [TornTail] = []
        if case .torn(let offset) = entriesStop, fileSizes.entries > offset {
            tails.append(TornTail(file: logPath, offset: offset, bytes: fileSizes.entries - offset))
        }
        if case .torn(let offset) = checkpointsStop, fileSizes.checkpoints > offset {
            tails.append(TornTail(file: checkpointsPath, offset: offset, bytes: fileSizes.checkpoints - offset))
        }
        return tails
    }

    /// The newest checkpoint read.
    public var latestCheckpoint: SignedCheckpoint? { checkpoints.last }

    /// The first thing wrong, in the order of the tree: each checkpoint in turn is checked
    /// against the entries it covers (tree sizes growing, root recomputed, and with `trust`
    /// the signature); an unreadable entry is reported once no earlier checkpoint failed; an
    /// unreadable checkpoint record last. Torn tails are not problems.
    public func firstProblem(trust: TrustStore?) -> CustodyProblem? {
        var frontier = MerkleFrontier()
        var previous: UInt64?
        for (index, signed) in checkpoints.enumerated() {
            let size = signed.checkpoint.treeSize
            let fault: CheckpointFault? = {
                guard size <= UInt64(leafHashes.count) else { return .beyondLog(entries: UInt64(leafHashes.count)) }
                if let previous, size <= previous { return .notIncreasing(previous: previous) }
                while frontier.size < size { frontier.append(leafHashes[Int(frontier.size)]) }
                guard frontier.root == signed.checkpoint.rootHash else { return .rootMismatch(firstEntry: previous ?? 0) }
                return trust.flatMap { signed.signatureFault(trust: $0) }
            }()
            if let fault {
                // Entries the checkpoint covers but that cannot be read are the first fault.
                if case .beyondLog = fault, let entryProblem { return entryProblem }
                return .checkpoint(file: checkpointsPath, index: index, treeSize: size, fault)
            }
            previous = size
        }
        if let entryProblem { return entryProblem }
        if case .damaged(let index, _, let damage) = checkpointsStop {
            return .checkpoint(file: checkpointsPath, index: index, treeSize: nil, .record(damage))
        }
        return nil
    }

    private var entryProblem: CustodyProblem? {
        guard case .damaged(let index, let offset, let damage) = entriesStop else { return nil }
        return .entry(file: logPath, index: UInt64(index), offset: offset, damage)
    }
}
