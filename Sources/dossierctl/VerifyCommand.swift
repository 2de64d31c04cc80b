import ArgumentParser
import DossierArchive
import DossierModel
import DossierText
import Foundation

/// `dossierctl verify`: every check of docs/archive-format.md on one archive.
struct VerifyCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "verify", abstract: CtlText.verifyAbstract, discussion: CtlText.verifyDiscussion)
    }

    @Argument(help: ArgumentHelp(CtlText.archiveFileHelp)) var archive: String
    @Option(help: ArgumentHelp(CtlText.trustHelp)) var trust: [String]
    @Option(help: ArgumentHelp(CtlText.crlHelp)) var crl: [String] = []
    @Option(help: ArgumentHelp(CtlText.expectDestinationHelp)) var expectDestination: String?
    @Option(help: ArgumentHelp(CtlText.maxSizeHelp)) var maxSize: UInt64 = ArchiveLimits.default.maxArchiveBytes
    @Flag(help: ArgumentHelp(CtlText.jsonVerdictHelp)) var json = false

    /// The JSON shape of the issue: `{valid, archiveId, origin, destination, signer, reasons}`.
    struct Output: Encodable {
        var valid: Bool
        var archiveId: String?
        var origin: String?
        var destination: String?
        var signer: CertificateInfo?
        var signingTime: Date?
        var archiveSha256: String?
        var reasons: [Finding]
    }

    func run() throws {
        let store: TrustStore
        do { store = try TrustStore(caFiles: trust, crlFiles: crl) } catch { fail("\(error)") }
        var limits = ArchiveLimits.default
        limits.maxArchiveBytes = maxSize
        let report: VerificationReport
        do {
            report = try ArchiveVerifier(trust: store, limits: limits, expectedDestination: expectDestination)
                .verify(path: archive, digestArchive: true)
        } catch { fail("\(error)") }
        if json {
            printJSON(
                Output(
                    valid: report.valid, archiveId: report.archiveId, origin: report.origin,
                    destination: report.destination, signer: report.signer, signingTime: report.signingTime,
                    archiveSha256: report.archiveDigest, reasons: report.reasons))
        } else {
            let route = "\(report.origin ?? "?") → \(report.destination ?? "?")"
            print(CtlText.verifyVerdict(valid: report.valid, id: report.archiveId, route: route, signer: report.signer?.subject))
            for reason in report.reasons {
                print("  " + CtlText.finding(code: reason.code, property: reason.property.rawValue, detail: reason.detail))
            }
        }
        if !report.valid { throw ExitCode(1) }
    }
}
