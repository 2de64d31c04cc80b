import DossierSystem
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An authority's custody log: an append-only RFC 9162 Merkle log of `CustodyEvent`s in
/// `custody.log`, with signed checkpoints in `checkpoints.log` beside it
/// (docs/custody-log.md).
///
/// **Durability.** `append` returns only once the entry is written and `fdatasync`ed; entries
/// appended concurrently share one write and one `fdatasync` (group commit). A checkpoint is
/// returned only once it is durable too, and only ever covers durable entries.
///
/// **Thread-safety.** Any number of tasks may append, checkpoint and ask for proofs at once.
/// Entries are stored in the order their `append` calls took their index. Blocking I/O runs on a
/// writer thread of the log's own, never on the cooperative pool.
///
/// **Failures.** After a failed write or sync every later call throws `CustodyError.failed`;
/// reopen to continue from what is durable. One process at a time may have a directory open.
///
/// **Memory.** One 32-byte leaf hash per entry is kept (32 MB for a million entries).
public final class CustodyLog: Sendable {
    /// When checkpoints are made by `runCheckpoints`.
    public struct Policy: Sendable {
        /// A checkpoint once this many entries are not covered by the latest one.
        public var everyEvents: UInt64
        /// A checkpoint this often when any entry is not covered.
        public var interval: Duration

        /// Defaults: every 1,000 entries or 10 minutes.
        public init(everyEvents: UInt64 = 1000, interval: Duration = .seconds(600)) {
            self.everyEvents = max(1, everyEvents)
            self.interval = interval
        }
    }

    /// The log's folder under the daemon's state directory.
    public static let stateSubdirectory = "custody"

    private typealias Reply<T> = CheckedContinuation<Result<T, CustodyError>, Never>

    private struct PendingEntry {
        var record: [UInt8]
        var leafHash: TreeHash
        var index: UInt64
        /// Nil for all but the last entry of one `append(contentsOf:)`: its reply answers for all.
        var reply: Reply<UInt64>?
    }

    private struct PendingCheckpoint {
        var signed: SignedCheckpoint
        var reply: Reply<SignedCheckpoint>
    }

    private struct State {
        /// The index the next `append` gets.
        var nextIndex: UInt64
        var entries: [PendingEntry] = []
        var checkpoints: [PendingCheckpoint] = []
        /// A writer thread is running; it exits once nothing came for `linger`.
        var writing = false
        /// Where the next record of each file goes.
        var logEnd: Int
        /// Where the zeros written ahead of `logEnd` end (see `reserveStep`).
        var logReserved: Int
        var checkpointsEnd: Int
        /// Durable entries' leaf hashes, for proofs.
        var leafHashes: [TreeHash]
        /// The same leaves, for the root at the current size.
        var frontier: MerkleFrontier
        var latest: SignedCheckpoint?
        var failure: SystemError?
        var closed = false
        var filesOpen = true
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
        var checkpointLoopStarted = false
        /// How many pending entries the writer waits for; reaching it wakes the writer.
        var wanted = Int.max
    }

    /// Why `runCheckpoints` woke up.
    private enum Wake { case threshold, interval }

    private let state: Mutex<State>
    /// Where the writer sleeps while a batch fills (instead of spinning, which would take the
    /// core the appenders need on a small machine); signalled when `State.wanted` is reached.
    private let arrivals = NSCondition()
    /// `fdatasync` calls that made entries durable, for metrics and to see the batching.
    private let entrySyncs = Atomic<Int>(0)
    private let writerStarts = Atomic<Int>(0)
    private let logFD: Int32
    private let checkpointsFD: Int32
    private let logPath: String
    private let checkpointsPath: String
    private let signer: (any CheckpointSigner)?
    private let policy: Policy
    private let linger: Duration
    private let threads: ThreadStarter
    private let wakes: AsyncStream<Wake>
    private let wake: AsyncStream<Wake>.Continuation

    /// Opens (creating if needed) the log in `directory`.
    ///
    /// Reads both files whole, recomputing every leaf hash and every checkpoint's root. A torn
    /// tail (a record a crash cut short, never acknowledged) is cut off and returned; any other
    /// unreadable record, a checkpoint whose root does not match, or a checkpoint covering
    /// entries the log does not hold is damage: the log is not opened and no file is changed.
    /// Signatures are not checked here (`CustodyContents.firstProblem(trust:)` does).
    /// - Parameters:
    ///   - signer: signs checkpoints; without one the log makes none.
    ///   - policy: when `runCheckpoints` makes them.
    ///   - linger: how long the writer thread, idle, waits for the next entry before it ends.
    ///     Under steady traffic (an entry or two per transfer) it is then never started again;
    ///     one started per batch cost a thread's creation and exit per transfer.
    ///   - threads: where the writer thread comes from. When none can be had (the process at
    ///     its thread limit), the appender that found no writer running writes what is pending
    ///     itself, without lingering, and the next one tries for a thread again.
    /// - Throws: `CustodyError.damaged` with the entry or checkpoint index, `.locked` when
    ///   another process has the directory open, `.system` for file errors.
    public static func open(
        directory: String, signer: (any CheckpointSigner)? = nil, policy: Policy = Policy(), linger: Duration = .seconds(5),
        threads: ThreadStarter = .system
    ) throws(CustodyError) -> (CustodyLog, droppedTails: [TornTail]) {
        do { try FileIO.makeDirectory(directory, mode: 0o700) } catch { throw .system(error) }
        let logPath = directory + "/" + CustodyContents.logFileName
        let checkpointsPath = directory + "/" + CustodyContents.checkpointsFileName
        let logFD = try openFile(logPath)
        var checkpointsFD: Int32 = -1
        do throws(CustodyError) {
            // The lock lives on the log's own descriptor: the kernel drops it when the process
            // dies, so a crash never leaves a stale lock.
            guard try system(FileIO.lockExclusively(fd: logFD, path: logPath)) else { throw .locked(path: directory) }
            checkpointsFD = try openFile(checkpointsPath)
            try system(FileIO.syncDirectory(directory))
            let contents = try CustodyContents.read(directory: directory)
            if let problem = contents.firstProblem(trust: nil) { throw .damaged(problem) }
            let logEnd = try prepare(logFD, logPath, contents.entriesExtent, magic: RecordFile.entriesMagic)
            let checkpointsEnd = try prepare(checkpointsFD, checkpointsPath, contents.checkpointsExtent, magic: RecordFile.checkpointsMagic)
            var frontier = MerkleFrontier()
            contents.leafHashes.forEach { frontier.append($0) }
            let state = State(
                nextIndex: frontier.size, logEnd: logEnd, logReserved: logEnd, checkpointsEnd: checkpointsEnd,
                leafHashes: contents.leafHashes, frontier: frontier, latest: contents.latestCheckpoint)
            let log = CustodyLog(
                state: state, logFD: logFD, checkpointsFD: checkpointsFD, logPath: logPath,
                checkpointsPath: checkpointsPath, signer: signer, policy: policy, linger: linger, threads: threads)
            return (log, contents.tornTails)
        } catch {
            Glibc.close(logFD)
            if checkpointsFD >= 0 { Glibc.close(checkpointsFD) }
            throw error
        }
    }

    private init(
        state: State, logFD: Int32, checkpointsFD: Int32, logPath: String, checkpointsPath: String,
        signer: (any CheckpointSigner)?, policy: Policy, linger: Duration, threads: ThreadStarter
    ) {
        self.state = Mutex(state)
        self.logFD = logFD
        self.checkpointsFD = checkpointsFD
        self.logPath = logPath
        self.checkpointsPath = checkpointsPath
        self.signer = signer
        self.policy = policy
        self.linger = linger
        self.threads = threads
        (wakes, wake) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(1))
    }

    deinit {
        // A log dropped without `close()`: nothing is pending (a writer thread holds the log
        // while it works), so only the descriptors are left to release.
        if state.withLock({ $0.filesOpen }) {
            Glibc.close(logFD)
            Glibc.close(checkpointsFD)
        }
        wake.finish()
    }

    private static func openFile(_ path: String) throws(CustodyError) -> Int32 {
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(.last(.open, path: path)) }
        return fd
    }

    /// Makes the file end at `extent.end` (cutting a torn tail) or, when not even its magic is whole,
    /// start it afresh; durably. Returns where the next record goes.
    ///
    /// A file without a batch marker (new, or from a build before markers) gets one first, durably:
    /// a bad spot after it is then judged by the markers (`RecordFile`), so a crash during the
    /// first commit of this build, its own marker lost, is a torn tail and not damage.
    private static func prepare(_ fd: Int32, _ path: String, _ extent: FileExtent, magic: [UInt8]) throws(CustodyError) -> Int {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .system(.last(.stat, path: path)) }
        let keep = extent.end >= magic.count ? extent.end : 0
        let marked = keep > 0 && extent.sawMarker
        if marked && Int(st.st_size) == keep { return keep }
        guard ftruncate(fd, off_t(keep)) == 0 else { throw .system(.last(.truncate, path: path)) }
        if keep == 0 { try system(FileIO.writeAll(fd: fd, magic, at: 0, path: path)) }
        var end = max(keep, magic.count)
        if !marked {
            try system(FileIO.writeAll(fd: fd, RecordFile.batchMarker, at: end, path: path))
            end += RecordFile.batchMarker.count
        }
        guard fsync(fd) == 0 else { throw .system(.last(.fsync, path: path)) }
        return end
    }

    // MARK: Appending

    /// Appends `event` and returns its leaf index once it is durable.
    /// - Throws: `.invalidEvent` (nothing written), `.closed`, or `.failed` after a write error.
    public func append(_ event: CustodyEvent) async throws(CustodyError) -> UInt64 {
        try await append(contentsOf: [event])[0]
    }

    /// Appends `events` in their order, as neighbours in one group commit (one `fdatasync` for
    /// all of them), and returns their leaf indexes once all are durable.
    /// - Throws: `.invalidEvent` (nothing written), `.closed`, or `.failed` after a write error.
    public func append(contentsOf events: [CustodyEvent]) async throws(CustodyError) -> [UInt64] {
        guard !events.isEmpty else { return [] }
        var pending: [(record: [UInt8], leafHash: TreeHash)] = []
        for event in events {
            let leaf = try event.leafBytes()
            var record: [UInt8] = []
            RecordFile.append(leaf, to: &record)
            // Hashed here, on the appender's task, so that producers share the hashing work.
            pending.append((record, TreeHashing.leaf(leaf)))
        }
        let last = try await withCheckedContinuation { (reply: Reply<UInt64>) in
            enqueue(reply) { state in
                for (offset, entry) in pending.enumerated() {
                    let index = state.nextIndex
                    state.nextIndex += 1
                    let answers = offset == pending.count - 1 ? reply : nil
                    state.entries.append(PendingEntry(record: entry.record, leafHash: entry.leafHash, index: index, reply: answers))
                }
            }
        }.get()
        return Array((last + 1 - UInt64(events.count))...last)
    }

    /// Writer threads started since the log opened (one per `linger` of idleness at most).
    var writerThreadsStarted: Int { writerStarts.load(ordering: .relaxed) }

    /// Entries durable so far: the size of the tree.
    public var treeSize: UInt64 { state.withLock { $0.frontier.size } }

    /// Group commits of entries since the log opened: one `fdatasync` each, however many
    /// entries it made durable.
    public var syncCount: Int { entrySyncs.load(ordering: .relaxed) }

    /// The newest durable checkpoint.
    public var latestCheckpoint: SignedCheckpoint? { state.withLock { $0.latest } }

    /// Queues work with `add` unless the log is closed or failed (then `reply` gets the error),
    /// and starts the writer thread when none runs.
    private func enqueue<T>(_ reply: Reply<T>, _ add: (inout State) -> Void) {
        let outcome: Result<(start: Bool, wake: Bool), CustodyError> = state.withLock { state in
            if state.closed { return .failure(.closed) }
            if let failure = state.failure { return .failure(.failed(failure)) }
            add(&state)
            defer { state.writing = true }
            let wake = state.writing && (state.entries.count >= state.wanted || !state.checkpoints.isEmpty)
            if wake { state.wanted = Int.max }
            return .success((!state.writing, wake))
        }
        switch outcome {
        case .failure(let error): reply.resume(returning: .failure(error))
        case .success(let next):
            if next.start { startWriter() }
            if next.wake { arrivals.lock(); arrivals.signal(); arrivals.unlock() }
        }
    }

    private func startWriter() {
        do throws(SystemError) {
            try threads.start(named: "dossier-custody") { [self] in drain(lingering: true) }
            writerStarts.add(1, ordering: .relaxed)
        } catch {
            drain(lingering: false)
        }
    }

    // MARK: The writer thread

    private struct Batch {
        var entries: [PendingEntry]
        var checkpoints: [PendingCheckpoint]
        var logEnd: Int
        var logReserved: Int
        var checkpointsEnd: Int
        var latest: SignedCheckpoint?
        /// An earlier commit failed: this batch is answered with its error and not written.
        /// Written, its entries would go where the failed ones were meant to, under indexes
        /// that counted those.
        var failure: SystemError?
    }

    /// Writes batches until nothing came for `linger`, then ends the thread; on an appender's
    /// thread (`lingering` false) until nothing is pending, waiting for no one.
    ///
    /// Between batches it waits a little for the appenders it just answered: they usually
    /// submit their next entry within microseconds, but on a busy machine not all within the
    /// same few. Taking whatever is there at once would commit a lone entry and leave the rest
    /// for the next sync; waiting until as many entries are pending as the last batch answered,
    /// for at most as long as that batch's sync took (so latency at most doubles), keeps the
    /// batches whole. A lone appender is never held up: it expects one entry and finds it.
    private func drain(lingering: Bool) {
        var expected = 1
        var patience = lingering ? Self.minimumPatience : .zero
        while let batch = nextBatch(expecting: expected, within: patience, linger: lingering ? linger : .zero) {
            let started = ContinuousClock.now
            let entriesWritten = writeEntries(batch)
            let checkpointsWritten = entriesWritten.flatMap { _ in writeCheckpoints(batch) }
            finish(batch, entriesWritten: entriesWritten, checkpointsWritten: checkpointsWritten)
            expected = max(1, batch.entries.count)
            if lingering { patience = min(max(ContinuousClock.now - started, Self.minimumPatience), Self.maximumPatience) }
        }
    }

    private static let minimumPatience = Duration.microseconds(100)
    private static let maximumPatience = Duration.milliseconds(2)

    private enum Next {
        case batch(Batch)
        /// Sleep until `until` or until `needed` entries are pending.
        case wait(until: ContinuousClock.Instant, needed: Int)
        case idle([CheckedContinuation<Void, Never>])
    }

    /// The next batch once `expected` entries (or any checkpoint) are pending, or whatever is
    /// pending after `patience`, or the first entry to come within `linger` after that; nil
    /// when none came (or the log closed), the thread then being idle.
    private func nextBatch(expecting expected: Int, within patience: Duration, linger: Duration) -> Batch? {
        let deadline = ContinuousClock.now + patience
        let lingerEnd = deadline + linger
        while true {
            let next: Next = state.withLock { state in
                let now = ContinuousClock.now
                let due = state.closed || now >= deadline
                if state.entries.count >= expected || !state.checkpoints.isEmpty || (due && !state.entries.isEmpty) {
                    defer {
                        state.entries.removeAll()
                        state.checkpoints.removeAll()
                        state.wanted = Int.max
                    }
                    return .batch(
                        Batch(
                            entries: state.entries, checkpoints: state.checkpoints, logEnd: state.logEnd,
                            logReserved: state.logReserved,
                            checkpointsEnd: state.checkpointsEnd, latest: state.latest, failure: state.failure))
                }
                guard due else {
                    state.wanted = expected
                    return .wait(until: deadline, needed: expected)
                }
                if !state.closed && now < lingerEnd {
                    state.wanted = 1
                    return .wait(until: lingerEnd, needed: 1)
                }
                state.writing = false
                state.wanted = Int.max
                defer { state.idleWaiters.removeAll() }
                return .idle(state.idleWaiters)
            }
            switch next {
            case .batch(let batch):
                return batch
            case .wait(let until, let needed):
                // Appenders (and `close`) signal under `arrivals` once `wanted` is reached, so
                // the check made under it cannot miss that signal.
                arrivals.lock()
                let ready = state.withLock { $0.entries.count >= needed || !$0.checkpoints.isEmpty || $0.closed }
                if !ready { _ = arrivals.wait(until: Date(timeIntervalSinceNow: ContinuousClock.now.duration(to: until) / .seconds(1))) }
                arrivals.unlock()
            case .idle(let waiters):
                waiters.forEach { $0.resume() }
                return nil
            }
        }
    }

    /// Zeros written ahead of the log's end a megabyte at a time, so that the `fdatasync` of a
    /// batch writes its data block alone: appending past the end of the file also makes the
    /// size and the block allocation durable, two more writes to wait for. A reader takes zeros
    /// from a record boundary to the end as unused space (`RecordFile`).
    static let reserveStep = 1 << 20

    /// Writes the batch's entries (and, when they reach past the zeros written ahead, the next
    /// `reserveStep` of zeros after them) with one `fdatasync`; returns the new end and reserve.
    private func writeEntries(_ batch: Batch) -> Result<(end: Int, reserved: Int), SystemError> {
        if let failure = batch.failure { return .failure(failure) }
        guard !batch.entries.isEmpty else { return .success((batch.logEnd, batch.logReserved)) }
        let records = RecordFile.batchMarker + batch.entries.flatMap(\.record)
        let end = batch.logEnd + records.count
        return Result { () throws(SystemError) in
            try FileIO.writeAll(fd: logFD, records, at: batch.logEnd, path: logPath)
            var reserved = batch.logReserved
            if end > reserved {
                reserved = end + Self.reserveStep
                try FileIO.writeAll(fd: logFD, [UInt8](repeating: 0, count: reserved - end), at: end, path: logPath)
            }
            guard fdatasync(logFD) == 0 else { throw .last(.fsync, path: logPath) }
            entrySyncs.add(1, ordering: .relaxed)
            return (end, reserved)
        }
    }

    /// Writes the checkpoints that grow the tree past the newest stored one (a later one may
    /// have overtaken a slower signer) with one `fdatasync`; returns the new end and the newest.
    private func writeCheckpoints(_ batch: Batch) -> Result<(end: Int, latest: SignedCheckpoint?), SystemError> {
        var latest = batch.latest
        var records = RecordFile.batchMarker
        for pending in batch.checkpoints {
            if let newest = latest, pending.signed.checkpoint.treeSize <= newest.checkpoint.treeSize { continue }
            RecordFile.append(pending.signed.recordPayload(), to: &records)
            latest = pending.signed
        }
        guard records.count > RecordFile.batchMarker.count else { return .success((batch.checkpointsEnd, latest)) }
        return Result { () throws(SystemError) in
            try FileIO.writeAll(fd: checkpointsFD, records, at: batch.checkpointsEnd, path: checkpointsPath)
            guard fdatasync(checkpointsFD) == 0 else { throw .last(.fsync, path: checkpointsPath) }
            return (batch.checkpointsEnd + records.count, latest)
        }
    }

    /// Publishes what became durable, then answers every waiter of the batch.
    private func finish(
        _ batch: Batch, entriesWritten: Result<(end: Int, reserved: Int), SystemError>,
        checkpointsWritten: Result<(end: Int, latest: SignedCheckpoint?), SystemError>
    ) {
        let uncovered: UInt64 = state.withLock { state in
            switch entriesWritten {
            case .success(let written):
                state.logEnd = written.end
                state.logReserved = written.reserved
                for entry in batch.entries {
                    state.leafHashes.append(entry.leafHash)
                    state.frontier.append(entry.leafHash)
                }
            case .failure(let error): state.failure = state.failure ?? error
            }
            switch checkpointsWritten {
            case .success(let written):
                state.checkpointsEnd = written.end
                state.latest = written.latest
            case .failure(let error): state.failure = state.failure ?? error
            }
            return state.frontier.size - (state.latest?.checkpoint.treeSize ?? 0)
        }
        for entry in batch.entries {
            entry.reply?.resume(returning: entriesWritten.map { _ in entry.index }.mapError(CustodyError.failed))
        }
        for pending in batch.checkpoints {
            let answer = checkpointsWritten.map { $0.latest ?? pending.signed }.mapError(CustodyError.failed)
            pending.reply.resume(returning: answer)
        }
        if signer != nil, uncovered >= policy.everyEvents { wake.yield(.threshold) }
    }

    // MARK: Checkpoints

    /// Signs a checkpoint of every entry durable now and stores it durably; returns it, or
    /// the latest one when nothing was appended since (or a newer one was stored meanwhile).
    /// Appends continue while the signer works.
    /// - Throws: `.noSigner`, `.signing` with the signer's reason, `.closed`, `.failed`.
    public func checkpoint() async throws(CustodyError) -> SignedCheckpoint {
        guard let signer else { throw .noSigner }
        let (size, root, latest) = try state.withLock { state throws(CustodyError) in
            if state.closed { throw .closed }
            if let failure = state.failure { throw .failed(failure) }
            return (state.frontier.size, state.frontier.root, state.latest)
        }
        if let latest, latest.checkpoint.treeSize == size { return latest }
        let checkpoint = Checkpoint(authority: signer.authority, treeSize: size, rootHash: root, time: Date())
        let statement = checkpoint.statementBytes()
        let signature: [UInt8]
        do { signature = try await signer.sign(statement) } catch { throw .signing(reason: "\(error)") }
        let signed = SignedCheckpoint(checkpoint: checkpoint, statement: statement, signature: signature)
        return try await withCheckedContinuation { (reply: Reply<SignedCheckpoint>) in
            enqueue(reply) { $0.checkpoints.append(PendingCheckpoint(signed: signed, reply: reply)) }
        }.get()
    }

    /// Makes checkpoints by the policy until the task is cancelled or the log closed: once
    /// `everyEvents` entries are not covered, and every `interval` when any is not. The
    /// daemon runs it as a service. Returns at once without a signer, or when another call
    /// already runs it.
    /// - Parameter onFailure: told of each checkpoint that could not be made (it is retried at
    ///   the next occasion; appends are not affected).
    public func runCheckpoints(onFailure: @escaping @Sendable (CustodyError) -> Void) async {
        let first = state.withLock { state in
            defer { state.checkpointLoopStarted = true }
            return !state.checkpointLoopStarted
        }
        guard signer != nil, first else { return }
        await withDiscardingTaskGroup { group in
            group.addTask { [wake, policy] in
                while (try? await Task.sleep(for: policy.interval)) != nil { wake.yield(.interval) }
            }
            for await reason in wakes where isDue(reason) {
                do throws(CustodyError) { _ = try await checkpoint() } catch { onFailure(error) }
            }
            group.cancelAll()
        }
    }

    private func isDue(_ reason: Wake) -> Bool {
        let uncovered = state.withLock { $0.frontier.size - ($0.latest?.checkpoint.treeSize ?? 0) }
        switch reason {
        case .threshold: return uncovered >= policy.everyEvents
        case .interval: return uncovered > 0
        }
    }

    // MARK: Proofs

    /// The audit path of entry `index` in the tree of the first `treeSize` entries.
    /// - Throws: `.outOfRange` unless `index < treeSize <= self.treeSize`.
    public func inclusionProof(index: UInt64, treeSize: UInt64) throws(CustodyError) -> [TreeHash] {
        let leaves = try prefix(treeSize)
        guard index < treeSize, let path = MerkleTree.inclusionProof(index: Int(index), leaves: leaves) else {
            throw .outOfRange("entry \(index) in a tree of \(treeSize)")
        }
        return path
    }

    /// The consistency proof from the tree of `oldSize` entries to that of `newSize`.
    /// - Throws: `.outOfRange` unless `0 < oldSize <= newSize <= self.treeSize`.
    public func consistencyProof(from oldSize: UInt64, to newSize: UInt64) throws(CustodyError) -> [TreeHash] {
        let leaves = try prefix(newSize)
        guard oldSize <= newSize, let proof = MerkleTree.consistencyProof(oldSize: Int(oldSize), leaves: leaves) else {
            throw .outOfRange("consistency from \(oldSize) to \(newSize)")
        }
        return proof
    }

    /// The first `size` durable leaf hashes; copied out of the lock (copy-on-write makes that
    /// O(1)), so proofs are computed without holding up appends.
    private func prefix(_ size: UInt64) throws(CustodyError) -> ArraySlice<TreeHash> {
        let leaves = state.withLock { $0.leafHashes }
        guard size <= UInt64(leaves.count) else { throw .outOfRange("tree size \(size) of \(leaves.count)") }
        return leaves[..<Int(size)]
    }

    // MARK: Closing

    /// Lets pending appends and checkpoints finish, stops `runCheckpoints`, ends each file
    /// with a batch marker (`seal`), gives back the zeros written ahead of the log's end, and
    /// closes the files (which releases the directory); that last part on a thread of its own,
    /// as it syncs. Later calls throw `.closed`.
    public func close() async {
        await withCheckedContinuation { (idle: CheckedContinuation<Void, Never>) in
            let running = state.withLock { state in
                state.closed = true
                if state.writing { state.idleWaiters.append(idle) }
                return state.writing
            }
            if running {
                arrivals.lock()
                arrivals.signal()
                arrivals.unlock()
            } else {
                idle.resume()
            }
        }
        wake.finish()
        let open = state.withLock { state in
            defer { state.filesOpen = false }
            return state.filesOpen
        }
        guard open else { return }
        await withCheckedContinuation { (closed: CheckedContinuation<Void, Never>) in
            let closeFiles: @Sendable () -> Void = { [self] in
                self.closeFiles()
                closed.resume()
            }
            do throws(SystemError) { try threads.start(named: "dossier-custody", closeFiles) } catch { closeFiles() }
        }
    }

    /// Seals both files (not after a failed write: what is on the disk is then unknown), gives
    /// back the zeros written ahead of the log's end (a reader takes them as unused space
    /// either way) and closes the files. Blocking; once the writer is idle for good.
    private func closeFiles() {
        let (logEnd, checkpointsEnd, failed) = state.withLock { ($0.logEnd, $0.checkpointsEnd, $0.failure != nil) }
        var end = logEnd
        if !failed {
            end = Self.seal(logFD, end: logEnd, path: logPath, magic: RecordFile.entriesMagic)
            _ = Self.seal(checkpointsFD, end: checkpointsEnd, path: checkpointsPath, magic: RecordFile.checkpointsMagic)
        }
        _ = ftruncate(logFD, off_t(end))
        Glibc.close(logFD)
        Glibc.close(checkpointsFD)
    }

    /// Ends a file closed cleanly with a batch marker (unless it holds no record or already
    /// ends with one), durably, so that a bad spot in its last commit, found at the next open,
    /// has a marker after it and is refused as the damage it is, not cut as the torn tail only
    /// a crash leaves. Returns the file's new end; `end` when nothing was needed or the write
    /// failed (the last commit is then judged as after a crash, as it also is in the unlikely
    /// case of a last record whose bytes end like a marker).
    private static func seal(_ fd: Int32, end: Int, path: String, magic: [UInt8]) -> Int {
        let marker = RecordFile.batchMarker
        guard end > magic.count, !FileIO.ends(fd: fd, at: end, with: marker, notBefore: magic.count) else { return end }
        do throws(SystemError) { try FileIO.writeAll(fd: fd, marker, at: end, path: path) } catch { return end }
        return fdatasync(fd) == 0 ? end + marker.count : end
    }
}
