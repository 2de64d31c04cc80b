import ArgumentParser
import DossierArchive
import DossierModel
import Foundation

/// `dossierctl inspect`: what an archive holds, for a person to read. Judges nothing but its
/// structure; use `verify` for the verdict.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an archive's bag-info, record summary, documents and signer.")

    @Argument(help: "The .dva archive.") var archive: String
    @Flag(help: "Print as JSON.") var json = false

    struct Output: Encodable {
        var archiveId: String?
        var archiveSha256: String?
        var archiveSize: UInt64
        var bagInfo: [VerificationReport.BagInfoField]
        var record: RecordSummary?
        var files: [VerificationReport.FileEntry]
        var signer: CertificateInfo?
        var problems: [Finding]
    }

    func run() throws {
        let inspection: ArchiveInspection
        do { inspection = try ArchiveInspector.inspect(path: archive) } catch { fail("\(error)") }
        let report = inspection.report
        let summary = inspection.record.flatMap(RecordSummary.init(json:))
        if json {
            printJSON(
                Output(
                    archiveId: report.archiveId, archiveSha256: report.archiveDigest, archiveSize: report.archiveSize,
                    bagInfo: report.bagInfo, record: summary, files: report.files, signer: report.signer,
                    problems: report.reasons))
            return
        }
        print("Archive   \(report.archiveId ?? "(no bag)")  \(report.archiveSize) bytes  sha256 \(report.archiveDigest ?? "")")
        print("\nbag-info.txt")
        for field in report.bagInfo { print("  \(field.label): \(field.value)") }
        if let summary {
            print("\nRecord")
            summary.lines.forEach { print("  \($0)") }
        }
        print("\nFiles")
        for file in report.files { print("  \(String(file.size).leftPadded(10))  \(file.path)") }
        print("\nSigner")
        if let signer = report.signer {
            print("  \(signer.subject)\n  issuer \(signer.issuer)")
            print("  valid \(signer.notBefore.map { "\($0)" } ?? "?") to \(signer.notAfter.map { "\($0)" } ?? "?")")
        } else {
            print("  (no signature)")
        }
        if !report.reasons.isEmpty {
            print("\nStructural problems (run verify for the full check)")
            for reason in report.reasons { print("  \(reason.code): \(reason.detail)") }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
