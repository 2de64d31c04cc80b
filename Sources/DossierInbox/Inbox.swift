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
/// `quarantine/<id>/`, uploads in progress in `inbox/.incoming/`.
///
/// Durability: an accepted archive is committed by writing `inbox/<id>.json` last (after the
/// archive's rename and the receipt, each fsynced with its directory); a rejected one by the
/// rename of a complete folder to `quarantine/<id>`. Anything short of that is removed when the
/// inbox is opened, so a crash never leaves a half-received archive visible.
///
/// Thread-safe: the index is guarded by a mutex; file work happens outside it, and concurrent
/// uploads of the same id are told to come back (`InboxOutcome.busy`).
public final class Inbox: Sendable {
    public let inboxDirectory: URL
    public let quarantineDirectory: URL
    /// The receiving authority's code (from its certificate).
    public let authority: String
    private let incomingDirectory: URL
    private let identity: Mutex<SigningIdentity>
    /// Anchors and CRLs in force: each archive is verified against the store current when it arrives.
    private let trust: CurrentTrust
    private let limits: ArchiveLimits
    private let state: Mutex<State>

    private struct State {
        var entries: [String: InboxEntry] = [:]
        var receiving: Set<String> = []
    }

    /// Opens (creating if needed) the inbox and quarantine folders, removes leftovers of
    /// interrupted uploads and loads the index.
    /// - Throws: `InboxError.noAuthorityCode`, `.damagedEntry`, `.system`.
    public init(inboxDirectory: URL, quarantineDirectory: URL, identity: SigningIdentity, trust: CurrentTrust,
                limits: ArchiveLimits = .default) throws {
        guard let code = identity.info.authority else { throw InboxError.noAuthorityCode(subject: identity.info.subject) }
        self.inboxDirectory = inboxDirectory
        self.quarantineDirectory = quarantineDirectory
        self.incomingDirectory = inboxDirectory.appendingPathComponent(".incoming")
        self.identity = Mutex(identity)
        self.authority = code
        self.trust = trust
        self.limits = limits
        for dir in [inboxDirectory, incomingDirectory, quarantineDirectory] {
            do { try FileIO.makeDirectory(dir.path) } catch { throw InboxError.system(error) }
        }
        var state = State()
        try Self.removeLeftovers(in: incomingDirectory, keeping: { _ in false })
        for name in Self.names(in: inboxDirectory) where name.hasSuffix(".json") && !name.hasPrefix(".") {
            let entry = try Self.readEntry(inboxDirectory.appendingPathComponent(name))
            state.entries[entry.archiveId] = entry
        }
        let committed = Set(state.entries.keys)
        try Self.removeLeftovers(in: inboxDirectory) { name in
            name == ".incoming" || committed.contains(Self.stem(of: name))
        }
        for name in Self.names(in: quarantineDirectory) where !name.hasPrefix(".") {
            let entry = try Self.readEntry(quarantineDirectory.appendingPathComponent(name).appendingPathComponent("reason.json"))
            state.entries[entry.archiveId] = entry
        }
        try Self.removeLeftovers(in: quarantineDirectory) { !$0.hasPrefix(".") }
        self.state = Mutex(state)
    }

    /// A new temporary file for an upload, in `inbox/.incoming/`.
    /// - Throws: `SystemError`.
    public func makeIncomingFile() throws(SystemError) -> IncomingFile {
        try IncomingFile(directory: incomingDirectory)
    }

    /// Verifies a received archive pushed as `id` by the authenticated `caller` and stores it:
    /// accepted into the inbox with a signed receipt, or rejected into quarantine with a signed
    /// rejection receipt. Idempotent: the same id and digest again gives the stored receipt.
    /// When revocation cannot be judged now, nothing is stored (`unavailable`). The
    /// temporary file is consumed in every case. Blocking (reads the whole archive): call it
    /// off the event loops.
    /// - Throws: `InboxError.system` when a file cannot be read, written or renamed,
    ///   `.signing` when the receipt cannot be signed (nothing is then recorded).
    public func receive(_ file: ReceivedFile, id: String, caller: String, now: Date = Date()) throws -> InboxOutcome {
        var consumed = false
        defer { if !consumed { unlink(file.path) } }
        if let earlier = entry(id: id) { return try replay(earlier, digest: file.digest) }
        let claimed = state.withLock { $0.receiving.insert(id).inserted }
        guard claimed else { return .busy }
        defer { _ = state.withLock { $0.receiving.remove(id) } }
        if let earlier = entry(id: id) { return try replay(earlier, digest: file.digest) }

        let verifier = ArchiveVerifier(trust: trust.store, limits: limits, expectedDestination: authority)
        let report: VerificationReport
        do { report = try verifier.verify(path: file.path, now: now) } catch let error as SystemError { throw InboxError.system(error) }
        // What could change on our side (a CRL not yet valid or stale) is no verdict on the archive.
        let transient = report.reasons.filter(\.isTransient)
        if !transient.isEmpty {
            return .unavailable(detail: transient.map { "\($0.code): \($0.detail)" }.joined(separator: "; "))
        }
        if let origin = report.origin, origin != caller {
            return .forbidden(detail: "the archive's origin is \(origin), the caller is \(caller)")
        }
        if let destination = report.destination, destination != authority {
            return .forbidden(detail: "the archive is for \(destination), this authority is \(authority)")
        }
        if report.archiveId != id, report.valid || report.archiveId != nil {
            return .idMismatch(bagId: report.archiveId)
        }
        let entry = InboxEntry(archiveId: id, digest: file.digest, size: file.size, sender: caller, receivedAt: now,
                               status: report.valid ? .accepted : .rejected, reasons: report.reasons)
        let receipt = try sign(entry)
        do {
            if report.valid { try storeAccepted(file, entry: entry, receipt: receipt) } else { try quarantine(file, entry: entry, receipt: receipt) }
        } catch {
            throw InboxError.system(error)
        }
        consumed = true
        state.withLock { $0.entries[id] = entry }
        return report.valid ? .accepted(receipt: receipt, firstTime: true) : .rejected(receipt: receipt, reasons: report.reasons, firstTime: true)
    }

    /// Signs receipts from now on with `identity` (certificate rotation; same authority).
    public func replaceIdentity(_ identity: SigningIdentity) {
        self.identity.withLock { $0 = identity }
    }

    /// The stored decision on `id`, if any.
    public func entry(id: String) -> InboxEntry? {
        state.withLock { $0.entries[id] }
    }

    /// Where an accepted archive is stored; nil when `id` was not accepted.
    public func archivePath(id: String) -> String? {
        guard entry(id: id)?.status == .accepted else { return nil }
        return inboxDirectory.appendingPathComponent("\(id).dva").path
    }

    /// The signed receipt stored for `id` (acceptance or rejection).
    /// - Throws: `InboxError.system` when the stored receipt cannot be read.
    public func storedReceipt(id: String) throws -> [UInt8]? {
        guard let entry = entry(id: id) else { return nil }
        let url = entry.status == .accepted
            ? inboxDirectory.appendingPathComponent("\(id).receipt")
            : quarantineDirectory.appendingPathComponent(id).appendingPathComponent("receipt")
        do { return try FileIO.readAll(url.path) } catch { throw InboxError.system(error) }
    }

    /// Counts of accepted and rejected archives, for status listings.
    public func counts() -> (accepted: Int, rejected: Int) {
        state.withLock { state in
            let accepted = state.entries.values.filter { $0.status == .accepted }.count
            return (accepted, state.entries.count - accepted)
        }
    }

    /// Entries received at or after `date`, oldest first.
    public func entries(since date: Date = .distantPast) -> [InboxEntry] {
        state.withLock { state in
            state.entries.values.filter { $0.receivedAt >= date }
                .sorted { ($0.receivedAt, $0.archiveId) < ($1.receivedAt, $1.archiveId) }
        }
    }

    private func replay(_ earlier: InboxEntry, digest: String) throws -> InboxOutcome {
        guard earlier.digest == digest else { return .conflict(storedDigest: earlier.digest) }
        let receipt = try storedReceipt(id: earlier.archiveId) ?? []
        return earlier.status == .accepted
            ? .accepted(receipt: receipt, firstTime: false)
            : .rejected(receipt: receipt, reasons: earlier.reasons, firstTime: false)
    }

    private func sign(_ entry: InboxEntry) throws -> [UInt8] {
        let receipt = Receipt(archiveId: entry.archiveId, digest: entry.digest, sender: entry.sender, receiver: authority,
                              receivedAt: entry.receivedAt, status: entry.status, reasons: entry.reasons)
        do { return try receipt.signed(by: identity.withLock { $0 }) } catch let error as ArchiveError { throw InboxError.signing(error) }
    }

    private func storeAccepted(_ file: ReceivedFile, entry: InboxEntry, receipt: [UInt8]) throws(SystemError) {
        let id = entry.archiveId
        try FileIO.rename(file.path, to: inboxDirectory.appendingPathComponent("\(id).dva").path)
        try DurableFile.write(receipt, to: inboxDirectory.appendingPathComponent("\(id).receipt"))
        try DurableFile.write(Self.encode(entry), to: inboxDirectory.appendingPathComponent("\(id).json"))
    }

    private func quarantine(_ file: ReceivedFile, entry: InboxEntry, receipt: [UInt8]) throws(SystemError) {
        let id = entry.archiveId
        let staging = quarantineDirectory.appendingPathComponent(".\(id).\(UInt32.random(in: 0...UInt32.max)).tmp")
        guard mkdir(staging.path, 0o750) == 0 else { throw .last(.createDirectory, path: staging.path) }
        try FileIO.rename(file.path, to: staging.appendingPathComponent("\(id).dva").path)
        try DurableFile.write(receipt, to: staging.appendingPathComponent("receipt"))
        try DurableFile.write(Self.encode(entry), to: staging.appendingPathComponent("reason.json"))
        try FileIO.rename(staging.path, to: quarantineDirectory.appendingPathComponent(id).path)
        try FileIO.syncDirectory(quarantineDirectory.path)
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
