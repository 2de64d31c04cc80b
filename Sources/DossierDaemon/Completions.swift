import DossierArchive
import DossierCustody
import DossierModel
import DossierOutbox
import DossierSystem
import DossierTransport
import Foundation
import Logging
import Synchronization

/// A completion notice this authority keeps (docs/architecture.md, "Completions"): one it sent
/// as an archive's destination, or one it received as its origin.
struct CompletionRecord: Codable, Sendable, Equatable {
    /// Where the notice stands.
    enum State: String, Codable, Sendable {
        /// Sent side: waiting for the origin to record it (retried with backoff).
        case pending
        /// Sent side: the origin answered 200/201.
        case delivered
        /// Sent side: the origin refused it permanently, or it was retried past
        /// `retry.give_up_after`; completing the archive again with the same decision retries it.
        case failed
        /// Received side: verified and recorded.
        case recorded
    }

    var notice: CompletionNotice
    /// The other authority: the archive's origin for a sent notice, its destination for a
    /// received one.
    var peer: String
    /// When it was queued (sent side) or first recorded (received side).
    var at: Date
    var state: State
    /// Sending attempts that failed.
    var attempts: Int = 0
    var nextAttemptAt: Date?
    var lastError: String?
    /// Sent side: when the origin acknowledged it. Received side: when the registry and the
    /// custody log were brought in line with it; nil until then (done again when the same
    /// notice comes again, so that a crash in between loses nothing).
    var doneAt: Date?
}

/// Completion notices on disk, one side each (`completions/sent/`, `completions/received/`):
/// `<id>.json` the record, `<id>.p7m` the signed notice as sent or received.
///
/// Why not the outbox: its entries are archives, with a spool file, receipts, pull-mode
/// listings, circuits and the transfer ledger reading their states; a completion is a few
/// hundred bytes, goes to another route, and there is at most one per archive. A folder of
/// small files, each replaced atomically (`DurableFile`), holds them with nothing to compact;
/// the backoff is the outbox's `RetryPolicy` and the transport its `PeerOperations`.
///
/// Thread-safety: the records are cached under a mutex; `save` (blocking: fsync) runs on the
/// blocking pool, and callers serialise per archive (`Completions.serial`).
final class CompletionStore: Sendable {
    let directory: URL
    private let records: Mutex<[String: CompletionRecord]>

    /// Reads every record kept in `directory` (created if missing); an unreadable record is
    /// skipped, as if the notice had never been sent or received (the peer sends it again).
    /// - Throws: `SystemError` when the folder cannot be made.
    init(directory: URL) throws(SystemError) {
        self.directory = directory
        try FileIO.makeDirectory(directory.path)
        var found: [String: CompletionRecord] = [:]
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        for name in (try? FileIO.list(directory.path)) ?? [] where name.hasSuffix(".json") {
            guard let bytes = try? FileIO.readAll(directory.appendingPathComponent(name).path, limit: CompletionNotice.limit),
                let record = try? decoder.decode(CompletionRecord.self, from: Data(bytes))
            else { continue }
            found[record.notice.archiveId] = record
        }
        records = Mutex(found)
    }

    /// The record of archive `id`, if any.
    func record(_ id: String) -> CompletionRecord? { records.withLock { $0[id] } }

    /// Every record, by archive id.
    var all: [CompletionRecord] { records.withLock { Array($0.values) }.sorted { $0.notice.archiveId < $1.notice.archiveId } }

    /// Where the signed notice of archive `id` is kept.
    func signedFile(_ id: String) -> URL { directory.appendingPathComponent("\(id).p7m") }

    /// Writes `signed` (when given) then the record, each durably; the cache follows once both
    /// are on disk. Blocking: run it on the blocking pool.
    /// - Throws: `SystemError`; the cache is unchanged then.
    func save(_ record: CompletionRecord, signed: [UInt8]? = nil) throws(SystemError) {
        let id = record.notice.archiveId
        if let signed { try DurableFile.write(signed, to: signedFile(id)) }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, dates and integers only: encoding cannot fail.
        let bytes = (try? encoder.encode(record)).map { [UInt8]($0) } ?? []
        try DurableFile.write(bytes, to: directory.appendingPathComponent("\(id).json"))
        records.withLock { $0[id] = record }
    }
}

/// Both sides' completion notices and what serialises work on them. Thread-safe.
final class Completions: Sendable {
    /// Notices this authority signed as destination, pushed to the origins.
    let sent: CompletionStore
    /// Notices this authority received as origin.
    let received: CompletionStore
    /// One operation at a time per archive id (a `complete` and a resend, two deliveries of
    /// the same notice).
    let serial = KeyedSerial()
    /// Wakes the sending loop when a notice is queued.
    let wake = WakeSignal()

    /// Opens `completions/sent/` and `completions/received/` under the state directory.
    /// - Throws: `SystemError`.
    init(layout: StateLayout) throws(SystemError) {
        sent = try CompletionStore(directory: layout.completions.appendingPathComponent("sent"))
        received = try CompletionStore(directory: layout.completions.appendingPathComponent("received"))
    }

    /// Sent notices the origin has not recorded yet (pending or failed).
    var undelivered: Int { sent.all.count { $0.state != .delivered } }
}

/// Runs work one at a time per key, in arrival order. Thread-safe (an actor).
actor KeyedSerial {
    private var tails: [String: Task<Void, Never>] = [:]

    /// Runs `work` after every earlier work for `key` has finished.
    func run<T: Sendable>(key: String, _ work: @escaping @Sendable () async throws -> T) async throws -> T {
        let previous = tails[key]
        let task = Task<T, any Error> {
            await previous?.value
            return try await work()
        }
        let tail = Task<Void, Never> { _ = try? await task.value }
        tails[key] = tail
        // Back on the actor after the wait: the tail is dropped unless later work replaced it.
        defer { forget(key, tail) }
        return try await task.value
    }

    private func forget(_ key: String, _ tail: Task<Void, Never>) {
        if tails[key] == tail { tails[key] = nil }
    }
}

/// Why `dossierctl complete` was refused.
enum CompletionError: Error, CustomStringConvertible {
    /// No archive `id` was received and accepted here.
    case notReceived(String)
    /// Archive `id` was completed before with another decision.
    case conflict(id: String, recorded: CompletionNotice)
    /// `--plate` is not a plate number.
    case badPlate(String, CodeError)
    /// The notice could not be signed.
    case signing(ArchiveError)
    /// It could not be kept.
    case storage(SystemError)

    var description: String {
        switch self {
        case let .notReceived(id): return "no archive \(id) was received and verified here; only its destination completes an archive"
        case let .conflict(id, recorded):
            return "archive \(id) was already completed as \(recorded.status.rawValue) on \(recorded.registeredAt.formatted(.iso8601))"
                + (recorded.newPlate.map { " (plate \($0))" } ?? "") + "; a completion cannot be changed"
        case let .badPlate(plate, error): return "--plate \(plate): \(error)"
        case let .signing(error): return "signing the completion notice: \(error)"
        case let .storage(error): return "keeping the completion notice: \(error)"
        }
    }
}

// MARK: the destination's side

extension Authority {
    /// Signs and queues the completion notice of archive `id`, received and accepted here,
    /// for its origin; durable on return, then sent by `CompletionService` with retry.
    /// The same decision again returns the record kept with `already` (a failed one is queued
    /// again); another decision is refused.
    /// - Throws: `CompletionError`.
    func complete(id: String, status: CompletionNotice.Status, newPlate: String?, reasons: [String]) async throws -> (
        record: CompletionRecord, already: Bool
    ) {
        guard ArchiveID.isSafe(id), let arrival = inbox.entry(id: id), arrival.status == .accepted else {
            throw CompletionError.notReceived(id)
        }
        if let newPlate {
            do throws(CodeError) { try PlateNumber.check(newPlate) } catch { throw CompletionError.badPlate(newPlate, error) }
        }
        let notice = CompletionNotice(
            archiveId: id, digest: arrival.digest, status: status, registeredAt: Date(), newPlate: newPlate, reasons: reasons)
        let (store, identity, timestamping) = (completions.sent, identity, timestamps.packing)
        return try await completions.serial.run(key: id) { [pool = self.pool, completions = self.completions] in
            if var kept = store.record(id) {
                guard kept.notice.decidesLike(notice) else { throw CompletionError.conflict(id: id, recorded: kept.notice) }
                if kept.state == .failed {
                    (kept.state, kept.attempts, kept.nextAttemptAt) = (.pending, 0, nil)
                    // Signed afresh (the same notice): one refused for want of a timestamp, made
                    // while the TSA was down, gets its token now.
                    do {
                        try await pool.run { [kept] in
                            try store.save(kept, signed: try kept.notice.signed(by: identity, timestamping: timestamping))
                        }
                    } catch let error as ArchiveError {
                        throw CompletionError.signing(error)
                    } catch let error as SystemError {
                        throw CompletionError.storage(error)
                    }
                    completions.wake.signal()
                }
                return (kept, true)
            }
            let record = CompletionRecord(notice: notice, peer: arrival.sender, at: notice.registeredAt, state: .pending)
            do {
                try await pool.run {
                    let signed = try notice.signed(by: identity, timestamping: timestamping)
                    try store.save(record, signed: signed)
                }
            } catch let error as ArchiveError {
                throw CompletionError.signing(error)
            } catch let error as SystemError {
                throw CompletionError.storage(error)
            }
            completions.wake.signal()
            return (record, false)
        }
    }
}

// MARK: the origin's side

extension Authority {
    /// What the origin knows of an archive it sent.
    private struct SentArchive {
        var destination: String
        var digest: String
        var delivered: Bool
    }

    /// The archive `id` as sent from here: from the outbox, or, once compacted out of it, from
    /// the receipt kept in `receipts/`.
    private func sentArchive(_ id: String) async -> SentArchive? {
        if let entry = await outbox.entry(id: id) {
            return SentArchive(destination: entry.destination, digest: entry.digest, delivered: entry.state == .delivered)
        }
        let file = layout.resolve("receipts/\(id).receipt.p7m").path
        guard FileIO.exists(file) else { return nil }
        let trust = operations.trust.store
        let receipt: Receipt? = try? await pool.run {
            let result = SignatureCheck.verifyAttached(
                signature: try FileIO.readAll(file, limit: PeerOperations.receiptLimit), trust: trust)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            return result.content.flatMap { try? decoder.decode(Receipt.self, from: Data($0)) }
        }
        guard let receipt, receipt.archiveId == id else { return nil }
        return SentArchive(destination: receipt.receiver, digest: receipt.digest, delivered: receipt.status == .accepted)
    }

    /// Verifies and records `caller`'s signed completion notice of archive `id`
    /// (`POST /v1/archives/{id}/completion`). A registration marks the vehicle transferred out
    /// (status `B`) in the registry and closes its case for good; a refusal opens it again
    /// (`SubmissionIndex`). Nothing is recorded unless every check passes; the same notice
    /// again answers as the first did. Its timestamp token is judged as an archive's
    /// (`[timestamp] trust`); with `require_timestamp` a notice without a trusted one is
    /// refused (422 `bad-completion`, naming `timestamp-missing`). A chain whose revocation
    /// cannot be judged now (the signer's or the TSA's) is answered 503 `try-later`.
    /// - Throws: `SystemError` when it cannot be kept (the destination retries).
    func receiveCompletion(id: String, signed: [UInt8], from caller: String) async throws -> CompletionOutcome {
        guard let sent = await sentArchive(id) else { return .notFound }
        guard sent.destination == caller else { return .forbidden }
        guard sent.delivered else { return .notDelivered }
        let (trust, timestamps) = (operations.trust.store, timestamps.receiving)
        let opened = try await pool.run { () -> Result<CompletionNotice, CompletionNotice.Problem> in
            do throws(CompletionNotice.Problem) {
                return .success(
                    try CompletionNotice.open(
                        signed, trust: trust, destination: caller, archiveId: id, digest: sent.digest, timestamps: timestamps))
            } catch { return .failure(error) }
        }
        let notice: CompletionNotice
        switch opened {
        case let .success(opened): notice = opened
        case let .failure(problem):
            logger.warning("completion notice refused", metadata: ["id": "\(id)", "peer": "\(caller)", "reason": "\(problem)"])
            if case .wrongSigner = problem { return .wrongSigner("\(problem)") }
            // As for an archive (503 `try-later`): the destination retries, the notice is not refused.
            if case .undecidable = problem { return .tryLater("\(problem)") }
            return .invalid("\(problem)")
        }
        let store = completions.received
        return try await completions.serial.run(key: id) {
            var record: CompletionRecord
            let firstTime: Bool
            if let kept = store.record(id) {
                guard kept.notice.decidesLike(notice) else {
                    return .conflict(
                        "archive \(id) was completed as \(kept.notice.status.rawValue) on \(kept.notice.registeredAt.formatted(.iso8601))")
                }
                (record, firstTime) = (kept, false)
            } else {
                record = CompletionRecord(notice: notice, peer: caller, at: Date(), state: .recorded)
                try await self.pool.run { [record] in try store.save(record, signed: signed) }
                firstTime = true
            }
            if record.doneAt == nil {
                try await self.apply(record.notice, destination: caller)
                record.doneAt = Date()
                try await self.pool.run { [record] in try store.save(record) }
            }
            if firstTime {
                self.logger.info(
                    "completion received",
                    metadata: ["id": "\(id)", "peer": "\(caller)", "status": "\(notice.status.rawValue)"])
            }
            return .recorded(
                PeerProtocol.CompletionRecorded(archiveId: id, status: record.notice.status, recordedAt: record.at), firstTime: firstTime)
        }
    }

    /// Brings the registry and the custody log in line with a recorded notice: a registration
    /// sets the vehicle's status to `B` (transferred out), then logs `completionReceived` and
    /// `transferredOut`; a refusal logs `completionReceived` (the ledger reads the record).
    /// - Throws: `SystemError` when the registry record cannot be rewritten; nothing is logged
    ///   then, and the same notice coming again does it all.
    private func apply(_ notice: CompletionNotice, destination: String) async throws {
        let detail = notice.status.rawValue + (notice.newPlate.map { " \($0)" } ?? "")
        guard notice.status == .registered else {
            await recordCustody(.completionReceived, id: notice.archiveId, peer: destination, digest: notice.digest, detail: detail)
            return
        }
        let vin = await submissions.vin(ofArchive: notice.archiveId, pool: pool)
        if let vin {
            let folder = URL(fileURLWithPath: config.registryDirectory).appendingPathComponent(vin)
            let marking = try await pool.run {
                try RegistryRecord.markTransferredOut(folder: folder, to: destination, on: notice.registeredAt)
            }
            let meta: Logger.Metadata = ["id": "\(notice.archiveId)", "vin": "\(vin)", "peer": "\(destination)"]
            switch marking {
            case .marked, .alreadyMarked: logger.info("vehicle marked transferred out", metadata: meta)
            case .noRecord: logger.info("vehicle transferred out, no registry record to mark", metadata: meta)
            case let .unreadable(why):
                logger.error("registry record not marked transferred out", metadata: meta.merging(["error": "\(why)"]) { $1 })
                errors.record(id: notice.archiveId, peer: destination, error: "registry record not marked transferred out: \(why)")
            }
        }
        await recordCustody(.completionReceived, id: notice.archiveId, peer: destination, digest: notice.digest, detail: detail)
        await recordCustody(.transferredOut, id: notice.archiveId, peer: destination, digest: notice.digest, detail: vin)
    }
}

/// The registry's record of a vehicle (`registry/<VIN>/dossier.json`), rewritten in place.
enum RegistryRecord {
    /// What `markTransferredOut` did.
    enum Marking: Equatable {
        case marked, alreadyMarked, noRecord
        /// The record does not read as `dossier/1`: left as it is, for an operator.
        case unreadable(String)
    }

    /// Sets `registration.status` to `B` (transferred out) and adds a `transfer-out` event to
    /// `history` (dated `on` in China Standard Time, office `destination`), unless the status
    /// is `B` already; written in the record's stable form, durably (temp + fsync + rename).
    /// Blocking: run it on the blocking pool.
    /// - Throws: `SystemError` when the record cannot be read or written (worth a retry).
    static func markTransferredOut(folder: URL, to destination: String, on date: Date) throws(SystemError) -> Marking {
        let file = folder.appendingPathComponent(DossierFolder.recordFileName)
        guard FileIO.exists(file.path) else { return .noRecord }
        let bytes = try FileIO.readAll(file.path, limit: 16 << 20)
        var record: DossierRecord
        do throws(RecordError) {
            record = try DossierRecord.decode(Data(bytes))
        } catch {
            return .unreadable("\(file.path): \(error)")
        }
        guard record.registration.status != "B" else { return .alreadyMarked }
        record.registration.status = "B"
        record.history.append(HistoryEvent(event: .transferOut, date: CalendarDate(date), office: destination))
        try DurableFile.write([UInt8](record.encoded()), to: file)
        return .marked
    }
}
