import DossierModel
import Foundation

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
    /// - Throws: `Refusal` for a dossier the rules refuse, `ArchiveError` for signing, `SystemError` for I/O
    ///   (`.timestamp` when a required token could not be had: try again later).
    /// `syncingOutputDirectory` as for `ArchivePacker.pack`; `record`: the folder's record when
    /// the caller has loaded it already (it is then not read again).
    public static func pack(
        dossierDirectory: URL, record loaded: DossierRecord? = nil, destination: String, identity: SigningIdentity,
        policy: TransferPolicy, credit: CreditRestrictions? = nil, outputDirectory: URL, fileName: String? = nil,
        id: String = ArchiveID.make(), now: Date = Date(), timestamping: Timestamping? = nil, syncingOutputDirectory: Bool = true
    ) throws -> PackResult {
        let record = try loaded ?? load(dossierDirectory, destination: destination, policy: policy, credit: credit, today: now)
        let result = DossierFolder.check(record, in: dossierDirectory, destination: destination, policy: policy, credit: credit, today: now)
        guard result.problems.isEmpty else { throw Refusal.problems(result.problems) }
        let bag = BagIdentity(
            origin: record.registration.managingOffice, destination: destination, vin: record.vehicle.vin,
            plate: record.plate.number, schema: DossierRecord.schemaName,
            sourceOrganization: identity.info.commonName ?? identity.info.subject)
        var packed = try ArchivePacker.pack(
            dossierDirectory: dossierDirectory, bag: bag, identity: identity,
            outputDirectory: outputDirectory, fileName: fileName, id: id, now: now, timestamping: timestamping,
            syncingOutputDirectory: syncingOutputDirectory)
        packed.warnings = result.warnings.isEmpty ? nil : result.warnings
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
