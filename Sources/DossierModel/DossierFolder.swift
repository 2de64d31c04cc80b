import Foundation

/// A dossier as a folder on disk: `dossier.json` plus `documents/…`. Used by `dossierctl check`
/// and by `pack`, so both refuse a dossier for the same reasons.
public enum DossierFolder {
    /// The name of the record file inside a dossier folder.
    public static let recordFileName = "dossier.json"

    /// Reads and strictly decodes `<dir>/dossier.json`.
    /// - Throws: `DossierFolderError.notADirectory` if `dir` is no readable folder,
    ///   `.missingRecord` if it has no `dossier.json`, `.unreadableRecord`, or `.invalidRecord`.
    public static func load(_ dir: URL) throws(DossierFolderError) -> DossierRecord {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir.path, isDirectory: &isDirectory), isDirectory.boolValue,
            FileManager.default.isReadableFile(atPath: dir.path)
        else {
            throw .notADirectory(path: dir.path)
        }
        let file = dir.appendingPathComponent(recordFileName)
        guard FileManager.default.fileExists(atPath: file.path) else { throw .missingRecord(path: file.path) }
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw .unreadableRecord(path: file.path, reason: error.localizedDescription)
        }
        do {
            return try DossierRecord.decode(data)
        } catch {
            throw .invalidRecord(path: file.path, error)
        }
    }

    /// Validates the folder's record and documents and, with a `destination`, the transfer's
    /// eligibility under `policy` and the parties against `credit` (its hits among the problems
    /// when its action blocks, among the warnings when it warns).
    /// - Throws: `DossierFolderError.notADirectory` only; every problem with the content is in
    ///   the result.
    public static func check(
        _ dir: URL, destination: String?, policy: TransferPolicy, credit: CreditRestrictions? = nil,
        today: Date
    ) throws(DossierFolderError) -> CheckResult {
        let record: DossierRecord
        do {
            record = try load(dir)
        } catch {
            switch error {
            case .notADirectory: throw error
            case .missingRecord(let path):
                return CheckResult(
                    valid: false, eligible: destination.map { _ in false },
                    problems: [
                        Problem(
                            code: "missing-record", field: nil, message: "\(path) does not exist",
                            messageZh: "\(path)不存在")
                    ])
            case .unreadableRecord(let path, let reason):
                return CheckResult(
                    valid: false, eligible: destination.map { _ in false },
                    problems: [
                        Problem(
                            code: "malformed-record", field: nil, message: "\(path) cannot be read: \(reason)",
                            messageZh: "\(path)无法读取：\(reason)")
                    ])
            case .invalidRecord(_, let recordError):
                return CheckResult(valid: false, eligible: destination.map { _ in false }, problems: [Problem(recordError)])
            }
        }
        return check(record, in: dir, destination: destination, policy: policy, credit: credit, today: today)
    }

    /// `check` of `record`, already loaded from `dir` (whose documents it reads): for a caller
    /// that has the record anyway, so that it is read and decoded once.
    public static func check(
        _ record: DossierRecord, in dir: URL, destination: String?, policy: TransferPolicy, credit: CreditRestrictions? = nil,
        today: Date
    ) -> CheckResult {
        let problems = RecordValidator.validate(record, dossierDirectory: dir, today: today)
        guard let destination else { return CheckResult(valid: problems.isEmpty, eligible: nil, problems: problems) }
        var blocks = TransferEligibility.evaluate(record, destination: destination, policy: policy, today: today)
        var warnings: [Problem] = []
        if let credit {
            let hits = CreditRestrictions.check(record, list: credit.list)
            if credit.action == .block { blocks += hits } else { warnings = hits }
        }
        return CheckResult(
            valid: problems.isEmpty, eligible: problems.isEmpty && blocks.isEmpty, problems: problems + blocks, warnings: warnings)
    }
}

/// The outcome of checking a dossier folder.
public struct CheckResult: Codable, Sendable, Equatable {
    /// The record and its documents passed every validation.
    public var valid: Bool
    /// Valid and no eligibility rule blocks the transfer; nil when no destination was asked about.
    public var eligible: Bool?
    /// Validation problems first, then the rules that block the transfer.
    public var problems: [Problem]
    /// Findings that do not block the transfer (a credit list hit under `action = "warn"`).
    public var warnings: [Problem]

    /// Stores the outcome as given.
    public init(valid: Bool, eligible: Bool?, problems: [Problem], warnings: [Problem] = []) {
        self.valid = valid
        self.eligible = eligible
        self.problems = problems
        self.warnings = warnings
    }
}

/// Why a dossier folder could not be read.
public enum DossierFolderError: Error, Sendable, Equatable, CustomStringConvertible {
    case notADirectory(path: String)
    case missingRecord(path: String)
    case unreadableRecord(path: String, reason: String)
    case invalidRecord(path: String, RecordError)

    public var description: String {
        switch self {
        case .notADirectory(let path): return "\(path) is not a readable folder"
        case .missingRecord(let path): return "\(path) does not exist"
        case .unreadableRecord(let path, let reason): return "\(path) cannot be read: \(reason)"
        case .invalidRecord(let path, let error): return "\(path): \(error.description)"
        }
    }
}
