import ArgumentParser
import DossierArchive
import DossierModel
import DossierText
import Foundation

/// `dossierctl inspect`: what an archive holds, for a person to read. Judges nothing but its
/// structure; use `verify` for the verdict.
struct InspectCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "inspect", abstract: CtlText.inspectAbstract)
    }

    @Argument(help: ArgumentHelp(CtlText.archiveFileHelp)) var archive: String
    @Flag(help: ArgumentHelp(CtlText.jsonPlainHelp)) var json = false

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
        print(CtlText.inspectArchive(id: report.archiveId, size: report.archiveSize, sha256: report.archiveDigest ?? ""))
        print("\nbag-info.txt")
        for field in report.bagInfo { print("  \(field.label): \(field.value)") }
        if let summary {
            print("\n" + CtlText.inspectRecord)
            summary.lines.forEach { print("  \($0)") }
        }
        print("\n" + CtlText.inspectFiles)
        for file in report.files { print("  \(String(file.size).leftPadded(10))  \(file.path)") }
        print("\n" + CtlText.inspectSigner)
        if let signer = report.signer {
            print("  \(signer.subject)\n  " + CtlText.signerIssuer(signer.issuer))
            print("  " + CtlText.signerValidity(signer.notBefore.map { "\($0)" } ?? "?", signer.notAfter.map { "\($0)" } ?? "?"))
        } else {
            print("  " + CtlText.noSignature)
        }
        if !report.reasons.isEmpty {
            print("\n" + CtlText.structuralProblems)
            for reason in report.reasons { print("  " + CtlText.finding(code: reason.code, property: nil, detail: reason.detail)) }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
