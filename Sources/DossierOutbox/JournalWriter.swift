import DossierSystem
import Foundation
import Synchronization

/// The journal's single writer thread: group commit.
///
/// Appenders hand over encoded frames and a continuation; the thread takes everything pending,
/// writes it after a batch marker with one `write`, makes it durable with one `fdatasync`, and
/// only then resumes the continuations. Frames reach the file in submission order.
///
/// `@unchecked Sendable`: `pending`, `failure` and `accepting` are only touched with
/// `condition` locked; `fd`, `segment*`, `written` and `allocated` only by the writer thread
/// after `start(threads:)` (before that, only by the opening thread, which hands over through
/// `pthread_create`, a full memory barrier).
final class JournalWriter: @unchecked Sendable {
    /// Group commits made so far (each one `fdatasync` covering a batch of records).
    var syncCount: Int { syncs.load(ordering: .relaxed) }

    private enum Request {
        case append(frames: [UInt8], syncCommitDirectory: Bool, CheckedContinuation<Void, any Error>)
        case roll(CheckedContinuation<UInt64, any Error>)
        case snapshot(bytes: [UInt8], seq: UInt64, CheckedContinuation<Void, any Error>)
        case close(CheckedContinuation<Void, Never>?)
    }

    private let condition = NSCondition()
    /// Durable writes (one `fdatasync` each) since the writer opened, for metrics.
    private let syncs = Atomic<Int>(0)
    private var pending: [Request] = []
    private var failure: OutboxError?
    private var accepting = true

    private let directory: String
    /// Held until the writer closes, so no other journal opens the directory meanwhile.
    private let lock: JournalLock
    private let commitDirectory: String?
    private let segmentLimit: Int
    private var fd: Int32 = -1
    private var segmentSeq: UInt64
    private var segmentPath = ""
    /// End of the records in the current segment.
    private var written = 0
    /// End of the zeros written ahead of the records (see `preallocate`).
    private var allocated = 0

    /// Creates segment `firstSeq` (durably) and is ready for `start()`.
    init(
        directory: String, firstSeq: UInt64, segmentLimit: Int, commitDirectory: String?, lock: JournalLock
    ) throws(OutboxError) {
        self.lock = lock
        self.directory = directory
        self.commitDirectory = commitDirectory
        self.segmentLimit = segmentLimit
        self.segmentSeq = firstSeq
        try openSegment(firstSeq)
    }

    // Runs only once no writer thread holds the writer: it never started, or it ended at `close`
    // (which left `fd` at -1). A journal that could not start its thread gives its segment back.
    deinit { if fd >= 0 { Foundation.close(fd) } }

    /// Starts the writer thread.
    /// - Throws: `.system` (`create thread`) when there is none to be had: the journal is not
    ///   opened, where without its writer every append would wait for ever.
    func start(threads: ThreadStarter) throws(OutboxError) {
        do throws(SystemError) { try threads.start(named: "dossier-journal") { [self] in run() } } catch { throw .system(error) }
    }

    /// Queues `frames`; `continuation` resumes once they are durable, or with the error.
    func submit(frames: [UInt8], syncCommitDirectory: Bool, continuation: CheckedContinuation<Void, any Error>) {
        enqueue(.append(frames: frames, syncCommitDirectory: syncCommitDirectory, continuation))
    }

    /// Queues a roll-over: everything submitted before is made durable, then a new segment is
    /// started; `continuation` gets the new segment's sequence number.
    func submitRoll(continuation: CheckedContinuation<UInt64, any Error>) {
        enqueue(.roll(continuation))
    }

    /// Queues snapshot `seq` (from a roll): everything submitted before is made durable, then
    /// `bytes` are written durably as the snapshot and the segments and snapshots it replaces
    /// are removed; `continuation` resumes once that is done, or with the error.
    func submitSnapshot(_ bytes: [UInt8], seq: UInt64, continuation: CheckedContinuation<Void, any Error>) {
        enqueue(.snapshot(bytes: bytes, seq: seq, continuation))
    }

    /// Stops accepting requests; the thread finishes the pending ones and exits.
    func submitClose(continuation: CheckedContinuation<Void, Never>?) {
        enqueue(.close(continuation))
    }

    private func enqueue(_ request: Request) {
        condition.lock()
        guard accepting else {
            condition.unlock()
            resume(request, with: .closed)
            return
        }
        if case .close = request { accepting = false }
        pending.append(request)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        var batch: [Request] = []
        while true {
            awaitNextRequest()
            condition.lock()
            while pending.isEmpty { condition.wait() }
            swap(&batch, &pending)
            condition.unlock()
            if process(batch) { return }
            batch.removeAll(keepingCapacity: true)
        }
    }

    /// Polls for up to `spinLimit` before the thread goes to sleep: an appender resumed by the
    /// last commit usually submits its next record within microseconds, and catching it
    /// here saves the writer a sleep and wake-up per record.
    private func awaitNextRequest() {
        let deadline = ContinuousClock.now + Self.spinLimit
        while ContinuousClock.now < deadline {
            condition.lock()
            let ready = !pending.isEmpty
            condition.unlock()
            if ready { return }
            sched_yield()
        }
    }

    private static let spinLimit = Duration.microseconds(100)

    /// Handles one batch in order; true once a close was handled.
    private func process(_ batch: [Request]) -> Bool {
        var frames: [UInt8] = []
        var waiting: [CheckedContinuation<Void, any Error>] = []
        var syncCommitDirectory = false
        for request in batch {
            switch request {
            case .append(let bytes, let syncDir, let continuation):
                if frames.isEmpty { frames.append(contentsOf: JournalFrame.batchMarker) }
                frames.append(contentsOf: bytes)
                waiting.append(continuation)
                syncCommitDirectory = syncCommitDirectory || syncDir
            case .roll(let continuation):
                commit(&frames, &waiting, &syncCommitDirectory)
                do throws(OutboxError) {
                    try checkHealthy()
                    try openSegment(segmentSeq + 1)
                    continuation.resume(returning: segmentSeq)
                } catch {
                    fail(error)
                    continuation.resume(throwing: error)
                }
            case .snapshot(let bytes, let seq, let continuation):
                commit(&frames, &waiting, &syncCommitDirectory)
                do throws(OutboxError) {
                    try writeSnapshot(bytes, seq: seq)
                    continuation.resume()
                } catch {
                    continuation.resume(throwing: error)
                }
            case .close(let continuation):
                commit(&frames, &waiting, &syncCommitDirectory)
                sealCleanEnd()
                if fd >= 0 { Foundation.close(fd) }
                fd = -1
                lock.release()
                continuation?.resume()
                return true
            }
        }
        commit(&frames, &waiting, &syncCommitDirectory)
        return false
    }

    private func commit(
        _ frames: inout [UInt8], _ waiting: inout [CheckedContinuation<Void, any Error>], _ syncDir: inout Bool
    ) {
        guard !waiting.isEmpty else { return }
        defer {
            frames.removeAll(keepingCapacity: true)
            waiting.removeAll(keepingCapacity: true)
            syncDir = false
        }
        do throws(OutboxError) {
            try checkHealthy()
            // The spool renames must be durable before the records that refer to them.
            if syncDir, let commitDirectory { try system(FileIO.syncDirectory(commitDirectory)) }
            if written + frames.count > allocated { try preallocate(through: written + frames.count) }
            try system(FileIO.writeAll(fd: fd, frames, at: written, path: segmentPath))
            guard fdatasync(fd) == 0 else { throw OutboxError.journalFailed(path: segmentPath, errno: errno) }
            syncs.add(1, ordering: .relaxed)
        } catch {
            fail(error)
            for continuation in waiting { continuation.resume(throwing: error) }
            return
        }
        written += frames.count
        for continuation in waiting { continuation.resume() }
        guard written >= segmentLimit else { return }
        do throws(OutboxError) { try openSegment(segmentSeq + 1) } catch { fail(error) }
    }

    /// Ends the segment with a batch marker at a clean close (unless it holds no record or
    /// already ends with one), so that a bad spot in its last commit, found at the next start,
    /// has a marker after it and is refused as the damage it is, not cut as the torn tail only
    /// a crash leaves. Best effort: a close that cannot write it (the journal failed, the disk
    /// refuses) leaves the last commit judged as after a crash, as does the unlikely last frame
    /// whose bytes end like a marker.
    private func sealCleanEnd() {
        let marker = JournalFrame.batchMarker
        let magic = JournalFrame.segmentMagic.count
        guard fd >= 0, written > magic, (try? checkHealthy()) != nil,
            !FileIO.ends(fd: fd, at: written, with: marker, notBefore: magic)
        else { return }
        do throws(OutboxError) {
            if written + marker.count > allocated { try preallocate(through: written + marker.count) }
            try system(FileIO.writeAll(fd: fd, marker, at: written, path: segmentPath))
            guard fdatasync(fd) == 0 else { throw OutboxError.journalFailed(path: segmentPath, errno: errno) }
            written += marker.count
        } catch {
            fail(error)
        }
    }

    /// Closes the current segment and creates `seq` with its magic and preallocated zeros,
    /// durably.
    private func openSegment(_ seq: UInt64) throws(OutboxError) {
        let path = directory + "/" + JournalFileName.segment(seq)
        let newFD = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard newFD >= 0 else { throw .system(.last(.open, path: path)) }
        do throws(OutboxError) {
            try system(FileIO.writeAll(fd: newFD, JournalFrame.segmentMagic, at: 0, path: path))
            try Self.writeZeros(newFD, from: JournalFrame.segmentMagic.count, count: preallocationChunk, path: path)
            guard fsync(newFD) == 0 else { throw .system(.last(.fsync, path: path)) }
            try system(FileIO.syncDirectory(directory))
        } catch {
            Foundation.close(newFD)
            throw error
        }
        if fd >= 0 { Foundation.close(fd) }
        fd = newFD
        segmentSeq = seq
        segmentPath = path
        written = JournalFrame.segmentMagic.count
        allocated = written + preallocationChunk
    }

    /// Records are written over zeros already on disk, so `fdatasync` has no file size or
    /// block allocation to commit, only the data: about 1.5× the rate of appending (measured
    /// here). Replay reads zeros after the last record as the end of the segment.
    private func preallocate(through end: Int) throws(OutboxError) {
        let count = max(end - allocated, preallocationChunk)
        try Self.writeZeros(fd, from: allocated, count: count, path: segmentPath)
        guard fsync(fd) == 0 else { throw OutboxError.journalFailed(path: segmentPath, errno: errno) }
        allocated += count
    }

    private var preallocationChunk: Int { min(1 << 20, segmentLimit) }

    private static func writeZeros(_ fd: Int32, from offset: Int, count: Int, path: String) throws(OutboxError) {
        try system(FileIO.writeAll(fd: fd, [UInt8](repeating: 0, count: count), at: offset, path: path))
    }

    private func checkHealthy() throws(OutboxError) {
        condition.lock()
        defer { condition.unlock() }
        if let failure { throw failure }
    }

    /// After a failed write or sync the file's contents are unknown (fsync errors are not
    /// retried: the kernel may have dropped the dirty pages), so every later request fails.
    private func fail(_ error: OutboxError) {
        condition.lock()
        defer { condition.unlock() }
        if failure == nil {
            if case .journalFailed = error {
                failure = error
            } else {
                failure = .journalFailed(path: segmentPath, errno: Self.errnoOf(error))
            }
        }
    }

    private static func errnoOf(_ error: OutboxError) -> Int32 {
        switch error {
        case .system(let failure): failure.errno
        case .journalFailed(_, let e): e
        default: EIO
        }
    }

    /// A crash at any point leaves a replayable journal: the snapshot is complete before any
    /// file it replaces goes.
    private func writeSnapshot(_ bytes: [UInt8], seq: UInt64) throws(OutboxError) {
        try system(DurableFile.write(bytes, to: URL(fileURLWithPath: directory + "/" + JournalFileName.snapshot(seq)), mode: 0o600))
        for name in try system(FileIO.list(directory)) {
            switch JournalFileName(parsing: name) {
            case .segment(let n)? where n < seq: try system(FileIO.remove(directory + "/" + name))
            case .snapshot(let n)? where n < seq: try system(FileIO.remove(directory + "/" + name))
            default: continue
            }
        }
        try system(FileIO.syncDirectory(directory))
    }

    private func resume(_ request: Request, with error: OutboxError) {
        switch request {
        case .append(_, _, let continuation): continuation.resume(throwing: error)
        case .roll(let continuation): continuation.resume(throwing: error)
        case .snapshot(_, _, let continuation): continuation.resume(throwing: error)
        case .close(let continuation): continuation?.resume()
        }
    }
}
