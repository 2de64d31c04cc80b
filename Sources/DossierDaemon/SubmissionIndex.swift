import DossierArchive
import DossierOutbox
import DossierSystem
import Foundation

/// One vehicle, one transfer; one dossier, one archive (docs/architecture.md, "Submissions").
///
/// For each dossier queued, `submissions/<destination>-<payload digest>` names the archive made
/// of it, and `submissions/vin-<VIN>` the vehicle's transfer (archive, destination, time); both
/// are written durably *before* the archive is queued. A dossier packed again (a re-found intake
/// folder after a crash, a `submit` retried after no answer) finds its archive there and is not
/// queued a second time while that archive stands: queued, in flight, deferred or delivered.
/// Any other submission of the same vehicle, to any destination, is refused
/// (`already-transferred`) while its transfer stands. Once the archive is cancelled or dead (or
/// was never queued, a crash having come first), or its destination's completion notice says it
/// refused to register the vehicle, the vehicle and the dossier are free again. A notice that
/// it registered the vehicle closes the case for good: the transfer stands, with its date.
/// Thread-safety: the caller serialises per vehicle (`Authority.submit`).
struct SubmissionIndex: Sendable {
    /// What the index keeps of the archive made of a dossier.
    struct Record: Codable, Sendable, Equatable {
        var id: String
        var size: UInt64
        var sha256: String
    }

    let directory: URL
    let layout: StateLayout
    /// The completion notices received from destinations.
    let completions: CompletionStore

    /// The key of the dossier whose payload manifest digests to `payload`, for `destination`.
    func key(destination: String, payload: String) -> String { "\(destination)-\(payload)" }

    /// What the index keeps of a vehicle's transfer.
    struct Transfer: Codable, Sendable, Equatable {
        var id: String
        var destination: String
        var at: Date
        /// When the destination registered the vehicle, by its completion notice (read from
        /// the notice, never written here).
        var registeredAt: Date?
    }

    /// The key of a vehicle's transfer.
    func key(vin: String) -> String { "vin-\(vin)" }

    /// The archive already made of this dossier for this destination and still standing, if any.
    func standing(key: String, outbox: Outbox) async -> Record? {
        guard let record = read(Record.self, key), await isStanding(record.id, outbox: outbox) else { return nil }
        return record
    }

    /// The vehicle's transfer that still stands, if any.
    func openTransfer(vin: String, outbox: Outbox) async -> Transfer? {
        guard var transfer = read(Transfer.self, key(vin: vin)), await isStanding(transfer.id, outbox: outbox) else { return nil }
        if let notice = completions.record(transfer.id)?.notice, notice.status == .registered {
            transfer.registeredAt = notice.registeredAt
        }
        return transfer
    }

    /// The vehicle whose transfer was archive `id`, read from the `vin-<VIN>` records (on the
    /// blocking pool: it may read one small file per vehicle ever transferred). Nil when no
    /// record names it (a dossier without a VIN, or its vehicle transferred again since).
    func vin(ofArchive id: String, pool: BlockingPool) async -> String? {
        let directory = directory
        return try? await pool.run { () -> String? in
            for name in try FileIO.list(directory.path) where name.hasPrefix("vin-") {
                if read(Transfer.self, name)?.id == id { return String(name.dropFirst(4)) }
            }
            return nil
        }
    }

    /// Records that the dossier under `key`, of vehicle `vin`, is being queued as `record` for
    /// `destination`; durable on return. Blocking (one file under both names, one folder
    /// sync): call on a `BlockingPool`.
    ///
    /// The two records are one file, linked as `<key>` and `vin-<VIN>`: its JSON holds the
    /// fields of both, and each reader decodes the ones it knows. One file costs one inode
    /// and one data sync, where two cost two of each. A later transfer of the vehicle replaces
    /// the `vin-` name only; the dossier's name keeps what it said.
    /// - Throws: `SystemError`.
    func remember(_ record: Record, key: String, vin: String?, destination: String) throws(SystemError) {
        guard let vin else {
            try DurableFile.write(encode(record), to: directory.appendingPathComponent(key, isDirectory: false))
            return
        }
        let both = Remembered(id: record.id, size: record.size, sha256: record.sha256, destination: destination, at: Date())
        try DurableFile.write(
            encode(both),
            toEachOf: [
                directory.appendingPathComponent(key, isDirectory: false),
                directory.appendingPathComponent(self.key(vin: vin), isDirectory: false),
            ])
    }

    /// The fields of a `Record` and of a `Transfer` of the same archive, under their names, in
    /// one JSON object: each decodes from it and ignores the other's.
    private struct Remembered: Encodable {
        var id: String
        var size: UInt64
        var sha256: String
        var destination: String
        var at: Date
    }

    /// Queued, in flight, deferred or delivered (also once compacted out of the journal: its
    /// receipt is still kept), and not refused by its destination's completion notice.
    private func isStanding(_ id: String, outbox: Outbox) async -> Bool {
        guard ArchiveID.isSafe(id), completions.record(id)?.notice.status != .refused else { return false }
        if let entry = await outbox.entry(id: id) { return [.queued, .sending, .deferred, .delivered].contains(entry.state) }
        return FileIO.exists(layout.resolve("receipts/\(id).receipt.p7m").path)
    }

    private func read<T: Decodable>(_ type: T.Type, _ key: String) -> T? {
        guard let bytes = try? FileIO.readAll(directory.appendingPathComponent(key, isDirectory: false).path, limit: 4096) else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(type, from: Data(bytes))
    }

    private func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return (try? encoder.encode(value)).map { [UInt8]($0) } ?? []
    }
}
