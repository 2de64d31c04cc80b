import DossierModel
import DossierSystem
import Foundation

/// Makes synthetic but realistic dossiers for tests, benchmarks and demos: valid codes with
/// correct check characters, Chinese names and addresses, a plate of the origin's province, and
/// real PDF/JPEG/PNG documents of the requested size.
///
/// Deterministic: the same settings (including `today`) give byte-identical output. By default a
/// dossier is valid, has every required document and is eligible for `destination` under
/// `TransferPolicy.default`; `ineligible` names one rule it then breaks, and only that one.
public struct SampleGenerator: Sendable {
    public var seed: UInt64
    public var count: Int
    /// Document files per dossier (at least 1). With fewer files than required kinds the last
    /// file stands for the remaining kinds too (a combined scan).
    public var documents: Int
    /// Size in bytes of each document file (files never come out smaller than their bare structure).
    public var documentSize: Int
    /// A code from `breakableRules`, or nil for eligible dossiers.
    public var ineligible: String?
    public var origin: String
    public var destination: String
    /// The day the dossiers are prepared; dates in them are relative to it.
    public var today: CalendarDate

    /// Settings for a run; `today` defaults to the current day in China time.
    public init(
        seed: UInt64 = 1, count: Int = 1, documents: Int = 6, documentSize: Int = 65536,
        ineligible: String? = nil, origin: String = "441800", destination: String = "430100",
        today: CalendarDate = CalendarDate(Date())
    ) {
        self.seed = seed
        self.count = count
        self.documents = documents
        self.documentSize = documentSize
        self.ineligible = ineligible
        self.origin = origin
        self.destination = destination
        self.today = today
    }

    /// The rule codes `ineligible` accepts.
    public static let breakableRules: [String] =
        [
            EligibilityRule.outOfScope, .seized, .stolenOrSuspect, .scrapStandard, .scrapDeadline, .customsWithoutRelease,
            .unsettledViolations, .unsettledAccidents, .mortgageWithoutConsent, .inspectionExpiredWithoutCertificate,
            .deregisteredOrTransferred, .recordMismatch,
        ].map(\.rawValue) + TransferPolicy.default.requiredDocuments.map { "missing-document:\($0.rawValue)" }

    /// Writes `count` dossiers as `<out>/<VIN>/dossier.json` + `documents/…`, each file durably,
    /// the record last so a folder with a record is complete.
    /// - Returns: the folders made, in order.
    /// - Throws: `SampleError` for an unknown rule or office, or a failed write.
    public func generate(into out: URL) throws(SampleError) -> [URL] {
        let plans = try (0..<max(0, count)).map { (index) throws(SampleError) in try plan(index) }
        do {
            try FileIO.makeDirectory(out.path)
            var folders: [URL] = []
            for (index, plan) in plans.enumerated() {
                let folder = out.appendingPathComponent(plan.record.vehicle.vin)
                try FileIO.makeDirectory(folder.appendingPathComponent(DossierPath.documentsFolder).path)
                var writer = SampleDocuments(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15) ^ 0xD0C5)
                for file in plan.files {
                    try writer.write(
                        file.format, title: file.title, size: documentSize,
                        to: DurableFile(finalURL: folder.appendingPathComponent(file.path), mode: 0o644))
                }
                try DurableFile.write(
                    Array(plan.record.encoded()),
                    to: folder.appendingPathComponent(DossierFolder.recordFileName), mode: 0o644)
                folders.append(folder)
            }
            return folders
        } catch {
            throw .system(error)
        }
    }

    /// The record of dossier `index` without writing anything (its documents are listed, not made).
    public func record(_ index: Int) throws(SampleError) -> DossierRecord { try plan(index).record }

    struct FilePlan {
        let path: String
        let format: SampleDocuments.Format
        let title: String
    }

    struct Plan {
        var record: DossierRecord
        var files: [FilePlan]
    }

    func plan(_ index: Int) throws(SampleError) -> Plan {
        if let ineligible, !Self.breakableRules.contains(ineligible) { throw .unknownRule(ineligible) }
        guard let from = SampleOffices.office(origin) else { throw .unknownOffice(origin) }
        guard let to = SampleOffices.office(destination) else { throw .unknownOffice(destination) }
        var factory = SampleRecordFactory(
            random: SampleRandom(seed: seed &+ UInt64(index) &* 0x2545_F491_4F6C_DD1D),
            from: from, to: to, today: today)
        var plan = factory.make(documents: documents)
        if let ineligible { SampleRecordFactory.breakRule(ineligible, in: &plan, today: today, otherOffice: otherOffice) }
        return plan
    }

    private var otherOffice: String {
        SampleOffices.all.first { $0.code != origin && $0.code != destination }?.code ?? "110000"
    }
}
