import DossierSystem
import Foundation

/// The outbox's append-only journal: segment files of framed `OutboxEvent` records in one
/// directory, written with group commit, compacted into snapshots (docs/architecture.md "Entry states").
///
/// Thread-safe: any number of tasks may append at once. An `append` returns only once its
/// record is durable (written and `fdatasync`ed, together with the others of its batch).
/// Records are stored in the order their appends were called. After a write or sync error
/// every later call throws `OutboxError.journalFailed`; reopen to replay what is durable.
public final class Journal: Sendable {
    /// How the journal is opened.
    public struct Options: Sendable {
        /// A segment is closed and a new one started once it reaches this many bytes.
        public var segmentSize: Int
        /// Open even if replay finds damage outside the torn tail; the damaged files are
        /// renamed `*.damaged` and listed in the report. What was read from them is then only
        /// in memory: `Outbox.open` compacts it into a snapshot at once.
        public var acceptDamage: Bool
        /// Where the writer thread comes from (tests: `.exhausted`, as at the thread limit).
        public var threads: ThreadStarter

        /// Defaults: 64 MiB segments, damage refused, real threads.
        public init(segmentSize: Int = 64 << 20, acceptDamage: Bool = false, threads: ThreadStarter = .system) {
            self.segmentSize = max(4096, segmentSize)
            self.acceptDamage = acceptDamage
            self.threads = threads
        }
    }

    let directory: String
    private let writer: JournalWriter

    private init(directory: String, writer: JournalWriter) {
        self.directory = directory
        self.writer = writer
    }

    deinit { writer.submitClose(continuation: nil) }

    /// Replays `directory` (created if missing; its parent must exist), passing every record to `apply` in order,
    /// then starts a new segment for appends.
    ///
    /// A torn tail of the newest segment is truncated and reported. Any other unreadable part,
    /// or a record `apply` rejects, is damage: without `acceptDamage` this throws
    /// `OutboxError.journalDamaged` and changes no file. Only one `Journal` may have a
    /// directory open at a time, in any process: a second open throws `OutboxError.locked`.
    public static func open(
        directory: URL, options: Options = Options(),
        apply: (OutboxEvent) throws(OutboxError) -> Void
    ) throws(OutboxError) -> (Journal, ReplayReport) {
        try open(directory: directory.path, options: options, commitDirectory: nil, apply: apply)
    }

    /// As the public `open`; batches holding a record submitted with `syncCommitDirectory`
    /// fsync `commitDirectory` before the journal is written.
    static func open(
        directory: String, options: Options, commitDirectory: String?,
        apply: (OutboxEvent) throws(OutboxError) -> Void
    ) throws(OutboxError) -> (Journal, ReplayReport) {
        try system(FileIO.makeDirectory(directory, mode: 0o700))
        let lock = try JournalLock(directory: directory)
        var replay = JournalReplay(directory: directory)
        try replay.run(apply: apply)
        if !replay.damage.isEmpty {
            guard options.acceptDamage else { throw .journalDamaged(replay.damage.map(\.damage)) }
            try replay.keepDamagedAside()
        } else {
            try replay.removeCompactedFiles()
        }
        let writer = try JournalWriter(
            directory: directory, firstSeq: replay.highestSeq + 1, segmentLimit: options.segmentSize,
            commitDirectory: commitDirectory, lock: lock)
        try writer.start(threads: options.threads)
        return (Journal(directory: directory, writer: writer), replay.report)
    }

    /// Appends `event` and returns once it is durable.
    nonisolated(nonsending) public func append(_ event: OutboxEvent) async throws(OutboxError) {
        try await append(contentsOf: [event], syncCommitDirectory: false)
    }

    /// Appends `events`, contiguous and in order, and returns once all are durable.
    nonisolated(nonsending) public func append(contentsOf events: [OutboxEvent]) async throws(OutboxError) {
        try await append(contentsOf: events, syncCommitDirectory: false)
    }

    /// Submits before the first suspension, so appends called in order from one actor are
    /// stored in that order.
    nonisolated(nonsending) func append(
        contentsOf events: [OutboxEvent], syncCommitDirectory: Bool
    ) async throws(OutboxError) {
        var frames: [UInt8] = []
        for event in events { JournalFrame.encode(event, into: &frames) }
        do {
            try await withCheckedThrowingContinuation { continuation in
                writer.submit(frames: frames, syncCommitDirectory: syncCommitDirectory, continuation: continuation)
            }
        } catch {
            throw Self.outboxError(error)
        }
    }

    /// Makes everything appended so far durable and starts a new segment; returns its
    /// sequence number, which a snapshot of the state up to this call should carry.
    nonisolated(nonsending) func roll() async throws(OutboxError) -> UInt64 {
        do {
            return try await withCheckedThrowingContinuation { writer.submitRoll(continuation: $0) }
        } catch {
            throw Self.outboxError(error)
        }
    }

    /// Durably writes `entries` as snapshot `seq` (from `roll()`), then removes the segments
    /// and snapshots it replaces, on the writer's thread (after what was appended before). A
    /// crash at any point leaves a replayable journal.
    nonisolated(nonsending) func writeSnapshot(_ entries: [OutboxEntry], seq: UInt64) async throws(OutboxError) {
        var bytes = JournalFrame.snapshotMagic
        for entry in entries { JournalFrame.encode(.snapshot(entry), into: &bytes) }
        do {
            try await withCheckedThrowingContinuation { writer.submitSnapshot(bytes, seq: seq, continuation: $0) }
        } catch {
            throw Self.outboxError(error)
        }
    }

    /// Finishes pending appends and stops the writer; later appends throw `.closed`.
    /// Group commits (one `fdatasync` each) made since the journal opened.
    public var syncCount: Int { writer.syncCount }

    public func close() async {
        await withCheckedContinuation { writer.submitClose(continuation: $0) }
    }

    private static func outboxError(_ error: any Error) -> OutboxError {
        (error as? OutboxError) ?? .journalFailed(path: "", errno: EIO)
    }
}
