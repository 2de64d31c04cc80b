import Dispatch
import DossierModel
import DossierSystem
import Foundation
import Synchronization

/// The safe path from a dossier folder to a signed archive: the folder is checked exactly as
/// `dossierctl check --to` checks it (record, documents, transfer eligibility), and only a
/// dossier with no problem is packed. Every caller (the CLI, intake, operator submissions,
/// peer requests) goes through here, so none can pack what the rules refuse.
public enum DossierPackager {
    /// Why a dossier was not packed.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// The check found problems; each has a stable code and both languages.
        case problems([Problem])
        /// The folder itself is unusable.
        case folder(DossierFolderError)

        public var description: String {
            switch self {
            case let .problems(problems):
                return "the dossier cannot be transferred:\n"
                    + problems.map { "  \($0.code)\($0.field.map { " (\($0))" } ?? ""): \($0.message)" }.joined(separator: "\n")
            case let .folder(error):
                return "\(error)"
            }
        }
    }

    /// Checks and packs `dossierDirectory` for `destination`, signed by `identity` (whose
    /// authority must be the record's managing office), timestamped with `timestamping` when given;
    /// the parties are screened against `credit` (a warning hit is in the result's `warnings`).
    ///
    /// The check runs on another thread while packing begins, so that a fresh `dossierctl pack`
    /// has the device writing sooner: a refusal stops the packer at its next buffer, and nothing
    /// is signed, timestamped or published before the check has passed.
    /// - Throws: `Refusal` for a dossier the rules refuse (before any error the packer met: a
    ///   folder without its record fails both), `ArchiveError` for signing, `SystemError` for I/O
    ///   (`.timestamp` when a required token could not be had: try again later).
    /// `syncingOutputDirectory` as for `ArchivePacker.pack`; `record`: the folder's record when
    /// the caller has loaded it already (it is then not read again).
    public static func pack(
        dossierDirectory: URL, record loaded: DossierRecord? = nil, destination: String, identity: SigningIdentity,
        policy: TransferPolicy, credit: CreditRestrictions? = nil, outputDirectory: URL, fileName: String? = nil,
        id: String = ArchiveID.make(), now: Date = Date(), timestamping: Timestamping? = nil, syncingOutputDirectory: Bool = true
    ) throws -> PackResult {
        let signer = identity.info.commonName ?? identity.info.subject
        let check = BackgroundCheck { () throws(Refusal) -> (BagIdentity, [Problem]) in
            let record: DossierRecord
            if let loaded {
                record = loaded
            } else {
                record = try load(dossierDirectory, destination: destination, policy: policy, credit: credit, today: now)
            }
            let result = DossierFolder.check(
                record, in: dossierDirectory, destination: destination, policy: policy, credit: credit, today: now)
            guard result.problems.isEmpty else { throw .problems(result.problems) }
            let bag = BagIdentity(
                origin: record.registration.managingOffice, destination: destination, vin: record.vehicle.vin,
                plate: record.plate.number, schema: DossierRecord.schemaName, sourceOrganization: signer)
            return (bag, result.warnings)
        }
        var packed: PackResult
        do {
            packed = try ArchivePacker.pack(
                dossierDirectory: dossierDirectory, identity: identity, outputDirectory: outputDirectory, fileName: fileName, id: id,
                now: now, timestamping: timestamping, syncingOutputDirectory: syncingOutputDirectory,
                proceed: { () throws(Refusal) in try check.refusalSoFar() }, bag: { try check.outcome().get().0 })
        } catch {
            if case let .failure(refusal) = check.outcome() { throw refusal }
            throw error
        }
        let warnings = (try? check.outcome().get().1) ?? []
        packed.warnings = warnings.isEmpty ? nil : warnings
        return packed
    }

    /// The folder's record; when it does not load, the refusal `DossierFolder.check` words for
    /// it (as `dossierctl check` shows it).
    private static func load(
        _ dir: URL, destination: String, policy: TransferPolicy, credit: CreditRestrictions?, today: Date
    ) throws(Refusal) -> DossierRecord {
        do { return try DossierFolder.load(dir) } catch let failure {
            let problems: [Problem]
            do {
                problems = try DossierFolder.check(dir, destination: destination, policy: policy, credit: credit, today: today).problems
            } catch {
                throw .folder(error)
            }
            // The folder changed between the two reads and now loads: the first failure stands.
            throw problems.isEmpty ? .folder(failure) : .problems(problems)
        }
    }
}

/// The record's check, run on a thread of its own while the packer starts.
///
/// Thread-safe: the outcome is written once, under the mutex, before the group is left.
private final class BackgroundCheck: Sendable {
    typealias Outcome = Result<(BagIdentity, [Problem]), DossierPackager.Refusal>
    private let result = Mutex<Outcome?>(nil)
    private let finished = DispatchGroup()

    init(_ work: @escaping @Sendable () throws(DossierPackager.Refusal) -> (BagIdentity, [Problem])) {
        finished.enter()
        let check: @Sendable () -> Void = { [self] in
            let outcome: Outcome
            do throws(DossierPackager.Refusal) { outcome = .success(try work()) } catch { outcome = .failure(error) }
            result.withLock { $0 = outcome }
            finished.leave()
        }
        // A thread of its own rather than a global queue's: those are as many as the cores and
        // may all be busy, and the packer stops early only if the check runs now. Without a
        // thread to be had, the check runs here, before packing, as it always did.
        do throws(SystemError) { try DetachedThread.start(named: "dossier-check", check) } catch { check() }
    }

    /// Throws the check's refusal when it has one already; returns at once either way.
    func refusalSoFar() throws(DossierPackager.Refusal) {
        if case let .failure(refusal)? = result.withLock({ $0 }) { throw refusal }
    }

    /// The check's outcome, waiting for it.
    func outcome() -> Outcome {
        finished.wait()
        // Set before the group was left: never nil here.
        return result.withLock { $0 } ?? .failure(.problems([]))
    }
}
