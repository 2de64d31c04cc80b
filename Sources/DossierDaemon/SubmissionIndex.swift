import DossierArchive
import DossierOutbox
import DossierSystem
import Foundation

/// One vehicle dossier, one archive per destination (docs/architecture.md, "Submissions"): for
/// each dossier queued, `submissions/<destination>-<payload digest>` names the archive made of
/// it, written durably *before* the archive is queued. A dossier packed again (a re-found
/// intake folder after a crash, a `submit` retried after no answer) finds its archive there and
/// is not queued a second time while that archive is queued, in flight, deferred or delivered;
/// once it is cancelled or dead (or was never queued, the crash having come first) the dossier
/// may be queued anew. Thread-safety: the caller serialises per key (`Authority.submit`).
struct SubmissionIndex: Sendable {
    /// What the index keeps of the archive made of a dossier.
    struct Record: Codable, Sendable, Equatable {
        var id: String
        var size: UInt64
        var sha256: String
    }

    let directory: URL
    let layout: StateLayout

    /// The key of the dossier whose payload manifest digests to `payload`, for `destination`.
    func key(destination: String, payload: String) -> String { "\(destination)-\(payload)" }

    /// The archive already made of this dossier for this destination and still standing
    /// (queued, in flight, deferred, or delivered), if any.
    func standing(key: String, outbox: Outbox) async -> Record? {
        guard let bytes = try? FileIO.readAll(directory.appendingPathComponent(key).path, limit: 4096),
            let record = try? JSONDecoder().decode(Record.self, from: Data(bytes)), ArchiveID.isSafe(record.id)
        else { return nil }
        if let entry = await outbox.entry(id: record.id) {
            return [.queued, .sending, .deferred, .delivered].contains(entry.state) ? record : nil
        }
        // Delivered and since compacted out of the journal: its receipt is still kept.
        return FileIO.exists(layout.resolve("receipts/\(record.id).receipt.p7m").path) ? record : nil
    }

    /// Records that the dossier under `key` is being queued as `record`; durable on return.
    /// - Throws: `SystemError`.
    func remember(_ record: Record, key: String) throws(SystemError) {
        let bytes = (try? JSONEncoder().encode(record)).map { [UInt8]($0) } ?? []
        try DurableFile.write(bytes, to: directory.appendingPathComponent(key))
    }
}
