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
    /// - Throws: `Refusal` for a dossier the rules refuse, `ArchiveError` for I/O and signing
    ///   (`.timestamp` when a required token could not be had: try again later).
    public static func pack(
        dossierDirectory: URL, destination: String, identity: SigningIdentity, policy: TransferPolicy,
        credit: CreditRestrictions? = nil, outputDirectory: URL, fileName: String? = nil, id: String = ArchiveID.make(), now: Date = Date(),
        timestamping: Timestamping? = nil
    ) throws -> PackResult {
        let result: CheckResult
        do {
            result = try DossierFolder.check(dossierDirectory, destination: destination, policy: policy, credit: credit, today: now)
        } catch {
            throw Refusal.folder(error)
        }
        guard result.problems.isEmpty else { throw Refusal.problems(result.problems) }
        let record: DossierRecord
        do { record = try DossierFolder.load(dossierDirectory) } catch { throw Refusal.folder(error) }
        let bag = BagIdentity(
            origin: record.registration.managingOffice, destination: destination, vin: record.vehicle.vin,
            plate: record.plate.number, schema: DossierRecord.schemaName,
            sourceOrganization: identity.info.commonName ?? identity.info.subject)
        var packed = try ArchivePacker.pack(
            dossierDirectory: dossierDirectory, bag: bag, identity: identity,
            outputDirectory: outputDirectory, fileName: fileName, id: id, now: now, timestamping: timestamping)
        packed.warnings = result.warnings.isEmpty ? nil : result.warnings
        return packed
    }
}
