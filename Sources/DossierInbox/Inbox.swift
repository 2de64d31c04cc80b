import DossierArchive
import DossierModel
import DossierSystem
import DossierTransport
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The durable store of archives pushed to this authority (docs/architecture.md, docs/protocol.md): verified archives
/// with their signed receipts in `inbox/`, rejected ones with their reasons in
/// `quarantine/<sender>/<id>/`, uploads in progress in `inbox/.incoming/`.
///
/// Only an accepted archive takes its id (docs/protocol.md): a rejection is kept per sender and
/// reserves nothing, so a peer pushing garbage under someone else's id cannot block it. Each
/// sender's quarantine is bounded (`StorageLimits`): archives whole within its quota, their
/// first MiB up to twice the quota, then only digest and reasons, at most
/// `quarantineRecordsPerSender` such records (the oldest dropped).
///
/// Durability: an accepted archive is committed by renaming `inbox/<id>.json` into place last,
/// after the archive and its receipt are durable under their final names; a rejected one by the
/// rename of a complete folder to `quarantine/<sender>/<id>`. Accepted archives are committed
/// in groups (`GroupCommit`): every archive verified while the previous group was being
/// committed shares one `syncfs` (their receipts' and records' bytes) and the two directory
/// syncs (archives and receipts, then records), instead of four syncs each. Nothing is
/// answered before its group's last sync. A commit that fails (a full disk) removes what it
/// wrote before returning, so a retry can succeed as soon as there is room; what a crash
/// interrupts is removed when the inbox is opened.
///
/// Thread-safe: the index is guarded by a mutex; file work happens outside it, and concurrent
/// uploads of the same id are told to come back (`InboxOutcome.busy`).
public final class Inbox: Sendable {
    /// The most reasons a receipt gives (`Finding.bounded`): with each detail at most 1 KiB
    /// (6 as escaped JSON), a rejection receipt stays well within the 256 KiB a sender reads.
    public static let reasonsInAReceipt = 32

    public let inboxDirectory: URL
    public let quarantineDirectory: URL
    /// The receiving authority's code (from its certificate).
    public let authority: String
    private let incomingDirectory: URL
    private let identity: Mutex<SigningIdentity>
    /// Anchors and CRLs in force: each archive is verified against the store current when it arrives.
    private let trust: CurrentTrust
    private let limits: ArchiveLimits
    /// Which TSAs are trusted and whether archives must carry a token; replaced on reload.
    private let timestamps: Mutex<TimestampPolicy>
    /// The profile archives must be in (nil: either); replaced on reload.
    private let requiredProfile: Mutex<ArchiveProfile?>
    /// Where receipts get their timestamp tokens (one attempt each); replaced on reload.
    private let receiptTimestamping: Mutex<Timestamping?>
    private let storage: StorageLimits
    private let recorder: (any ArrivalRecorder)?
    private let state: Mutex<State>
    /// Commits accepted archives in groups on a thread of its own.
    private let committer: GroupCommit<StagedAcceptance, SystemError>
    private let commitCounts: CommitCounts

    private struct State {
        /// Accepted archives by id: the only decisions that make an id taken.
        var accepted: [String: InboxEntry] = [:]
        /// Rejected archives by sender, then id.
        var rejected: [String: [String: InboxEntry]] = [:]
        var receiving: Set<String> = []
        /// What each sender's rejected archives take in quarantine.
        var quarantines: [String: QuarantineUse] = [:]

        mutating func record(_ entry: InboxEntry) {
            if entry.status == .accepted {
                accepted[entry.archiveId] = entry
            } else {
                rejected[entry.sender, default: [:]][entry.archiveId] = entry
            }
        }

        var all: [InboxEntry] { Array(accepted.values) + rejected.values.flatMap(\.values) }

        /// Removes `sender`'s rejection of `id` from the index and gives back what it counted
        /// against the quota; false when there was none.
        @discardableResult
        mutating func forget(sender: String, id: String) -> Bool {
            guard rejected[sender]?.removeValue(forKey: id) != nil else { return false }
            quarantines[sender]?.untrack(id)
            return true
        }
    }

    /// One sender's use of quarantine: the bytes counted against its quota and what each record
    /// counted, and its records of digest and reasons only (which count against the number of
    /// records instead), with when each was received.
    struct QuarantineUse {
        /// What is kept of a rejected archive.
        enum Kept {
            case whole
            case prefix(UInt64)
            case digestOnly
        }

        var bytes: UInt64 = 0
        var counted: [String: UInt64] = [:]
        var digestOnly: [String: Date] = [:]

        /// Notes a record whose bytes are already in `bytes` (reserved before it was written).
        mutating func track(_ entry: InboxEntry, bytes recordBytes: UInt64) {
            if entry.keptBytes == 0 {
                digestOnly[entry.archiveId] = entry.receivedAt
            } else {
                counted[entry.archiveId] = recordBytes
            }
        }

        /// Notes a record found on disk when the inbox opens, counting its `bytes`. A record of
        /// digest and reasons only is ordered by when its `reason.json` was `written`: the
        /// record's `receivedAt` keeps whole seconds only, which would leave the oldest of
        /// several in one second undecided.
        mutating func load(_ entry: InboxEntry, bytes recordBytes: UInt64, written: Date?) {
            track(entry, bytes: recordBytes)
            if entry.keptBytes == 0 {
                digestOnly[entry.archiveId] = written ?? entry.receivedAt
            } else {
                bytes += recordBytes
            }
        }

        mutating func untrack(_ id: String) {
            digestOnly.removeValue(forKey: id)
            let given = counted.removeValue(forKey: id) ?? 0
            bytes -= min(given, bytes)
        }
    }

    /// Opens (creating if needed) the inbox and quarantine folders, removes leftovers of
    /// interrupted uploads and loads the index. With a `recorder`, every decided arrival is
    /// logged there before its receipt is signed, and the receipt carries where.
    /// - Throws: `InboxError.noAuthorityCode`, `.damagedEntry`, `.system`.
    public init(
        inboxDirectory: URL, quarantineDirectory: URL, identity: SigningIdentity, trust: CurrentTrust,
        limits: ArchiveLimits = .default, storage: StorageLimits = .default, timestamps: TimestampPolicy = .none,
        requiredProfile: ArchiveProfile? = nil,
        receiptTimestamping: Timestamping? = nil, recorder: (any ArrivalRecorder)? = nil
    ) throws {
        guard let code = identity.info.authority else { throw InboxError.noAuthorityCode(subject: identity.info.subject) }
        self.inboxDirectory = inboxDirectory
        self.quarantineDirectory = quarantineDirectory
        self.incomingDirectory = inboxDirectory.appendingPathComponent(".incoming")
        self.identity = Mutex(identity)
        self.authority = code
        self.trust = trust
        self.limits = limits
        self.timestamps = Mutex(timestamps)
        self.requiredProfile = Mutex(requiredProfile)
        self.receiptTimestamping = Mutex(receiptTimestamping)
        self.storage = storage
        self.recorder = recorder
        for dir in [inboxDirectory, incomingDirectory, quarantineDirectory] {
            do { try FileIO.makeDirectory(dir.path) } catch { throw InboxError.system(error) }
        }
        var state = State()
        try Self.removeLeftovers(in: incomingDirectory, keeping: { _ in false })
        for name in Self.names(in: inboxDirectory) where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let entry = try Self.readEntry(inboxDirectory.appendingPathComponent(name))
            state.accepted[entry.archiveId] = entry
        }
        let committed = Set(state.accepted.keys)
        try Self.removeLeftovers(in: inboxDirectory) { name in
            name == ".incoming" || committed.contains(Self.stem(of: name))
        }
        try Self.removeLeftovers(in: quarantineDirectory) { !$0.hasPrefix(".") }
        try Self.moveToSenderFolders(quarantineDirectory)
        for sender in Self.names(in: quarantineDirectory) {
            let folder = quarantineDirectory.appendingPathComponent(sender)
            try Self.removeLeftovers(in: folder) { !$0.hasPrefix(".") }
            for name in Self.names(in: folder) {
                let record = folder.appendingPathComponent(name)
                let reason = record.appendingPathComponent("reason.json")
                let entry = try Self.readEntry(reason)
                state.rejected[entry.sender, default: [:]][entry.archiveId] = entry
                let written = (try? FileManager.default.attributesOfItem(atPath: reason.path))?[.modificationDate] as? Date
                state.quarantines[entry.sender, default: QuarantineUse()].load(entry, bytes: Self.bytes(in: record), written: written)
            }
        }
        self.state = Mutex(state)
        let counts = CommitCounts()
        let directory = inboxDirectory.path
        self.commitCounts = counts
        self.committer = GroupCommit(threadName: "dossier-inbox-commit") { Self.commit($0, in: directory, counts: counts) }
    }

    /// Syncs (`syncfs` and directory syncs) the group commits of accepted archives made since
    /// the inbox opened; with `acceptedCommits`, how many each accepted push cost.
    public var commitSyncs: Int { commitCounts.syncs.load(ordering: .relaxed) }

    /// Accepted archives committed since the inbox opened.
    public var acceptedCommits: Int { commitCounts.accepted.load(ordering: .relaxed) }

    /// True when the inbox's file system has room for `bytes` more and still keeps
    /// `StorageLimits.freeSpaceReserve` free; uploads are refused (503) otherwise.
    /// - Throws: `SystemError` when the file system cannot be asked.
    public func hasRoom(for bytes: UInt64) throws -> Bool {
        try FreeSpace.hasRoom(for: bytes, at: inboxDirectory.path, reserve: storage.freeSpaceReserve)
    }

    /// A new temporary file for an upload, in `inbox/.incoming/`.
    /// - Throws: `SystemError`.
    public func makeIncomingFile() throws(SystemError) -> IncomingFile {
        try IncomingFile(directory: incomingDirectory)
    }

    /// Verifies a received archive pushed as `id` by the authenticated `caller` and stores it:
    /// accepted into the inbox with a signed receipt, or rejected into `caller`'s quarantine with
    /// a signed rejection receipt. Idempotent: the same caller, id and digest again gives the
    /// stored receipt. Only an accepted archive makes a later push of its id a conflict, and only
    /// for its own sender. When
    /// revocation cannot be judged now, nothing is stored (`unavailable`). The temporary file
    /// is consumed in every case. Blocking (reads the whole archive): call it
    /// off the event loops.
    /// - Throws: `InboxError.system` when a file cannot be read, written or renamed, `.signing`
    ///   when the receipt cannot be signed; nothing is then recorded and nothing written is left
    ///   behind.
    public func receive(_ file: ReceivedFile, id: String, caller: String, now: Date = Date()) throws -> InboxOutcome {
        switch try judge(file, id: id, caller: caller, now: now) {
        case .decided(let outcome): return outcome
        case .staged(let staged): return try complete(staged, committer.submitAndWait(staged))
        }
    }

    /// How `judge` left a push: decided (an answer, a rejection already stored), or accepted
    /// and staged for its group commit, its id still claimed until `complete`.
    enum Judgement: Sendable {
        case decided(InboxOutcome)
        case staged(StagedAcceptance)
    }

    /// Everything of `receive` but the commit of an accepted archive: replays, the claim on
    /// the id, verification, the receipt, a rejection's quarantine. An accepted archive comes
    /// back staged; the caller must pass it to `complete` with its commit's outcome, which
    /// releases the claim. Blocking.
    func judge(_ file: ReceivedFile, id: String, caller: String, now: Date) throws -> Judgement {
        var consumed = false
        defer { if !consumed { unlink(file.path) } }
        if let replayed = try replay(id: id, caller: caller, digest: file.digest) { return .decided(replayed) }
        let claimed = state.withLock { $0.receiving.insert(id).inserted }
        guard claimed else { return .decided(.busy) }
        var staged = false
        defer { if !staged { _ = state.withLock { $0.receiving.remove(id) } } }
        if let replayed = try replay(id: id, caller: caller, digest: file.digest) { return .decided(replayed) }

        let report: VerificationReport
        let verifier = ArchiveVerifier(
            trust: trust.store, limits: limits, expectedDestination: authority, timestamps: timestamps.withLock { $0 },
            requiredProfile: requiredProfile.withLock { $0 })
        do { report = try verifier.verify(path: file.path, now: now) } catch let error as SystemError { throw InboxError.system(error) }
        // What could change on our side (a CRL not yet valid or stale) is no verdict on the archive.
        let transient = report.reasons.filter(\.isTransient)
        if !transient.isEmpty {
            return .decided(.unavailable(detail: transient.map { "\($0.code): \($0.detail)" }.joined(separator: "; ")))
        }
        if let origin = report.origin, origin != caller {
            return .decided(.forbidden(detail: "the archive's origin is \(origin), the caller is \(caller)"))
        }
        if let destination = report.destination, destination != authority {
            return .decided(.forbidden(detail: "the archive is for \(destination), this authority is \(authority)"))
        }
        if report.archiveId != id, report.valid || report.archiveId != nil {
            return .decided(.idMismatch(bagId: report.archiveId))
        }
        // Another origin's accepted archive has this id (the caller's own is a replay above): a
        // valid archive of the caller's is refused like any push by a caller who is not the
        // archive's origin, and anything else is judged as if the id were free, so the answer
        // says nothing of the accepted archive, not even that it exists.
        if report.valid, state.withLock({ $0.accepted[id] != nil }) {
            return .decided(.forbidden(detail: "archive \(id) cannot be accepted from \(caller)"))
        }
        let reasons = Finding.bounded(report.reasons, limit: Self.reasonsInAReceipt)
        let entry = InboxEntry(
            archiveId: id, digest: file.digest, size: file.size, sender: caller, receivedAt: now,
            status: report.valid ? .accepted : .rejected, reasons: reasons)
        let receipt = try sign(entry)
        do {
            if report.valid {
                let acceptance = try stage(file, entry: entry, receipt: receipt)
                (consumed, staged) = (true, true)
                return .staged(acceptance)
            }
            try quarantine(file, entry: entry, receipt: receipt)
            consumed = true
            return .decided(.rejected(receipt: receipt, reasons: reasons, firstTime: true))
        } catch {
            throw InboxError.system(error)
        }
    }

    /// Commits a staged acceptance with whatever else is pending, without holding a thread
    /// while it waits; then as `complete`.
    func commit(_ staged: StagedAcceptance) async throws -> InboxOutcome {
        try complete(staged, await committer.submit(staged))
    }

    /// Records a staged acceptance once its group commit succeeded and releases its id; after
    /// a failed commit (whose files the commit removed) only releases it.
    /// - Throws: `InboxError.system` with the commit's failure.
    private func complete(_ staged: StagedAcceptance, _ committed: Result<Void, SystemError>) throws -> InboxOutcome {
        defer { _ = state.withLock { $0.receiving.remove(staged.entry.archiveId) } }
        switch committed {
        case .failure(let error): throw InboxError.system(error)
        case .success:
            state.withLock { $0.record(staged.entry) }
            return .accepted(receipt: staged.receipt, firstTime: true)
        }
    }

    /// Signs receipts from now on with `identity` (certificate rotation; same authority).
    public func replaceIdentity(_ identity: SigningIdentity) {
        self.identity.withLock { $0 = identity }
    }

    /// Judges archives that arrive from now on by `policy`, and timestamps their receipts with
    /// `receipts` (after a reload).
    public func replaceTimestamps(_ policy: TimestampPolicy, receipts: Timestamping?) {
        timestamps.withLock { $0 = policy }
        receiptTimestamping.withLock { $0 = receipts }
    }

    /// Requires archives that arrive from now on to be in `profile` (nil: either), after a reload.
    public func replaceRequiredProfile(_ profile: ArchiveProfile?) {
        requiredProfile.withLock { $0 = profile }
    }

    /// The stored decision on `id`: its acceptance, or else the latest rejection of an archive
    /// pushed under that id.
    public func entry(id: String) -> InboxEntry? {
        state.withLock { state in
            state.accepted[id] ?? state.rejected.values.compactMap { $0[id] }.max { $0.receivedAt < $1.receivedAt }
        }
    }

    /// Where an accepted archive is stored; nil when `id` was not accepted.
    public func archivePath(id: String) -> String? {
        guard entry(id: id)?.status == .accepted else { return nil }
        return inboxDirectory.appendingPathComponent("\(id).dva").path
    }

    /// Counts of accepted and rejected archives, for status listings.
    public func counts() -> (accepted: Int, rejected: Int) {
        state.withLock { state in (state.accepted.count, state.rejected.values.reduce(0) { $0 + $1.count }) }
    }

    /// Entries received at or after `date`, oldest first.
    public func entries(since date: Date = .distantPast) -> [InboxEntry] {
        state.withLock { state in
            state.all.filter { $0.receivedAt >= date }
                .sorted { ($0.receivedAt, $0.archiveId, $0.sender) < ($1.receivedAt, $1.archiveId, $1.sender) }
        }
    }

    /// The answer to a push already decided: the stored receipt again for the same caller and
    /// digest; a conflict when the caller's own accepted archive `id` has another digest; nil
    /// when the archive is to be verified (a new id, one only rejected before, or one accepted
    /// from another origin, which `judge` keeps from showing).
    private func replay(id: String, caller: String, digest: String) throws -> InboxOutcome? {
        let (accepted, rejected) = state.withLock { ($0.accepted[id], $0.rejected[caller]?[id]) }
        if let accepted, accepted.sender == caller {
            guard accepted.digest == digest else { return .conflict(storedDigest: accepted.digest) }
            return .accepted(receipt: try storedReceipt(accepted), firstTime: false)
        }
        // A record of digest and reasons only has no receipt to give again: verified afresh.
        guard let rejected, rejected.digest == digest, rejected.keptBytes != 0 else { return nil }
        return .rejected(receipt: try storedReceipt(rejected), reasons: rejected.reasons, firstTime: false)
    }

    /// The signed receipt kept with `entry` (acceptance or rejection).
    private func storedReceipt(_ entry: InboxEntry) throws -> [UInt8] {
        let url =
            entry.status == .accepted
            ? inboxDirectory.appendingPathComponent("\(entry.archiveId).receipt")
            : quarantineFolder(entry).appendingPathComponent("receipt")
        do { return try FileIO.readAll(url.path) } catch { throw InboxError.system(error) }
    }

    private func quarantineFolder(_ entry: InboxEntry) -> URL {
        quarantineDirectory.appendingPathComponent(entry.sender).appendingPathComponent(entry.archiveId)
    }

    private func sign(_ entry: InboxEntry) throws -> [UInt8] {
        let custody: CustodyReference?
        do { custody = try recorder?.record(entry) } catch { throw InboxError.custody("\(error)") }
        let receipt = Receipt(
            archiveId: entry.archiveId, digest: entry.digest, sender: entry.sender, receiver: authority,
            receivedAt: entry.receivedAt, status: entry.status, reasons: entry.reasons, custody: custody)
        do {
            return try receipt.signed(by: identity.withLock { $0 }, timestamping: receiptTimestamping.withLock { $0 })
        } catch { throw InboxError.signing(error) }
    }

    /// Writes an accepted archive's receipt and record beside their final names, unsynced:
    /// its group commit makes them durable. The archive stays in `.incoming/` until then.
    /// On failure nothing staged is left.
    private func stage(_ file: ReceivedFile, entry: InboxEntry, receipt: [UInt8]) throws(SystemError) -> StagedAcceptance {
        let staged = StagedAcceptance(
            entry: entry, receipt: receipt, archive: file.path, directory: inboxDirectory.path,
            nonce: UInt64.random(in: 0...UInt64.max))
        do throws(SystemError) {
            try FileIO.createUnsynced(staged.receiptTemp, receipt)
            try FileIO.createUnsynced(staged.recordTemp, Self.encode(entry))
        } catch {
            staged.remove()
            throw error
        }
        return staged
    }

    /// Commits a rejected archive to its sender's quarantine as one folder renamed into place,
    /// and records it. Within the sender's quota the archive is kept whole with its receipt;
    /// beyond it, its first MiB, while the sender's quarantine stays within twice the quota
    /// (`StorageLimits.quarantineCeiling`); beyond that only `reason.json` (digest, size, the
    /// first reasons), of which a sender keeps at most `quarantineRecordsPerSender`, the oldest
    /// dropped. Bytes count everything written (archive, receipt, record), so many tiny
    /// rejections are bounded too. On failure the staging folder is removed and the quota given
    /// back.
    private func quarantine(_ file: ReceivedFile, entry: InboxEntry, receipt: [UInt8]) throws(SystemError) {
        let id = entry.archiveId
        var entry = entry
        var widest = entry
        widest.keptBytes = .max
        let overhead = UInt64(receipt.count + Self.encode(widest).count)
        let keeping = reserveQuarantine(sender: entry.sender, size: file.size, overhead: overhead)
        switch keeping.kept {
        case .whole: break
        case .prefix(let bytes): if bytes < file.size { entry.keptBytes = bytes }
        case .digestOnly:
            entry.keptBytes = 0
            entry.reasons = Array(entry.reasons.prefix(StorageLimits.reasonsKeptBeyondCeiling))
        }
        let senderFolder = quarantineDirectory.appendingPathComponent(entry.sender)
        let staging = senderFolder.appendingPathComponent(".\(id).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let final = quarantineFolder(entry)
        do throws(SystemError) {
            try FileIO.makeDirectory(senderFolder.path)
            guard mkdir(staging.path, 0o750) == 0 else { throw SystemError.last(.createDirectory, path: staging.path) }
            if entry.keptBytes != 0 {
                if let kept = entry.keptBytes { try FileIO.truncate(file.path, to: Int(kept)) }
                try FileIO.rename(file.path, to: staging.appendingPathComponent("\(id).dva").path)
                try DurableFile.write(receipt, to: staging.appendingPathComponent("receipt"))
            } else {
                // Nothing of the archive is kept: the upload goes now, not at the next start.
                unlink(file.path)
            }
            try DurableFile.write(Self.encode(entry), to: staging.appendingPathComponent("reason.json"))
            // An earlier rejection of this id by this sender (another digest) gives way to this one.
            if state.withLock({ $0.forget(sender: entry.sender, id: id) }) { try? FileIO.removeTree(final.path) }
            try FileIO.rename(staging.path, to: final.path)
            try FileIO.syncDirectory(senderFolder.path)
        } catch {
            try? FileIO.removeTree(staging.path)
            releaseQuarantine(sender: entry.sender, bytes: keeping.counted)
            throw error
        }
        dropOldest(after: entry, counted: keeping.counted)
    }

    /// Records a committed rejection, then removes the sender's oldest records of digest and
    /// reasons beyond `quarantineRecordsPerSender`. Each one dropped is claimed like an upload
    /// while its folder goes, so a push of its id meanwhile is told to come back (`busy`)
    /// rather than racing the removal.
    private func dropOldest(after entry: InboxEntry, counted: UInt64) {
        let limit = storage.quarantineRecordsPerSender
        let dropped: [String] = state.withLock { state in
            state.record(entry)
            state.quarantines[entry.sender, default: QuarantineUse()].track(entry, bytes: counted)
            var dropped: [String] = []
            while let use = state.quarantines[entry.sender], use.digestOnly.count > limit,
                let oldest = use.digestOnly.filter({ !state.receiving.contains($0.key) }).min(by: { $0.value < $1.value })?.key
            {
                state.forget(sender: entry.sender, id: oldest)
                state.receiving.insert(oldest)
                dropped.append(oldest)
            }
            return dropped
        }
        for id in dropped {
            try? FileIO.removeTree(quarantineDirectory.appendingPathComponent(entry.sender).appendingPathComponent(id).path)
            _ = state.withLock { $0.receiving.remove(id) }
        }
        if !dropped.isEmpty { try? FileIO.syncDirectory(quarantineDirectory.appendingPathComponent(entry.sender).path) }
    }

    /// How much of a rejected archive of `size` bytes to keep, whose receipt and record take
    /// `overhead` bytes, and the bytes that counts against `sender`'s quarantine (added now).
    private func reserveQuarantine(sender: String, size: UInt64, overhead: UInt64) -> (kept: QuarantineUse.Kept, counted: UInt64) {
        state.withLock { state in
            let used = state.quarantines[sender]?.bytes ?? 0
            let prefix = min(size, StorageLimits.keptBeyondQuota)
            let (whole, wholeOverflow) = size.addingReportingOverflow(overhead)
            let decision: (kept: QuarantineUse.Kept, counted: UInt64)
            if !wholeOverflow, used <= storage.quarantineBytesPerSender, whole <= storage.quarantineBytesPerSender - used {
                decision = (.whole, whole)
            } else if used <= storage.quarantineCeiling, prefix + overhead <= storage.quarantineCeiling - used {
                decision = (.prefix(prefix), prefix + overhead)
            } else {
                decision = (.digestOnly, 0)
            }
            state.quarantines[sender, default: QuarantineUse()].bytes = used + decision.counted
            return decision
        }
    }

    private func releaseQuarantine(sender: String, bytes: UInt64) {
        state.withLock { state in
            let used = state.quarantines[sender]?.bytes ?? 0
            state.quarantines[sender, default: QuarantineUse()].bytes = used - min(bytes, used)
        }
    }

    /// The bytes of the files in a quarantine folder, as counted against its sender's quota.
    private static func bytes(in folder: URL) -> UInt64 {
        names(in: folder).reduce(0) { total, name in
            let size = (try? FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(name).path)[.size] as? NSNumber)
            return total + (size?.uint64Value ?? 0)
        }
    }

    /// Moves quarantine folders of the layout before senders had folders of their own
    /// (`quarantine/<id>/reason.json`) to `quarantine/<sender>/<id>`.
    private static func moveToSenderFolders(_ quarantine: URL) throws {
        for name in names(in: quarantine) {
            let folder = quarantine.appendingPathComponent(name)
            let reason = folder.appendingPathComponent("reason.json")
            guard FileManager.default.fileExists(atPath: reason.path) else { continue }
            let entry = try readEntry(reason)
            let senderFolder = quarantine.appendingPathComponent(entry.sender)
            do {
                guard ArchiveID.isSafe(entry.sender) else { throw InboxError.damagedEntry(path: reason.path) }
                try FileIO.makeDirectory(senderFolder.path)
                try FileIO.rename(folder.path, to: senderFolder.appendingPathComponent(entry.archiveId).path)
                try FileIO.syncDirectory(quarantine.path)
            } catch let error as SystemError {
                throw InboxError.system(error)
            }
        }
    }

    private static func encode(_ entry: InboxEntry) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        // Strings, numbers, dates and enums always encode.
        return [UInt8]((try? encoder.encode(entry)) ?? Data())
    }

    private static func readEntry(_ url: URL) throws -> InboxEntry {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = try? Data(contentsOf: url), let entry = try? decoder.decode(InboxEntry.self, from: data),
            ArchiveID.isSafe(entry.archiveId)
        else { throw InboxError.damagedEntry(path: url.path) }
        return entry
    }

    private static func names(in dir: URL) -> [String] {
        (try? FileIO.list(dir.path)) ?? []
    }

    /// `<id>.dva`, `<id>.receipt`, `<id>.json` → `<id>`.
    private static func stem(of name: String) -> String {
        guard let dot = name.lastIndex(of: ".") else { return name }
        return String(name[..<dot])
    }

    private static func removeLeftovers(in dir: URL, keeping keep: (String) -> Bool) throws {
        for name in names(in: dir) where !keep(name) {
            do { try FileIO.removeTree(dir.appendingPathComponent(name).path) } catch { throw InboxError.system(error) }
        }
    }
}
