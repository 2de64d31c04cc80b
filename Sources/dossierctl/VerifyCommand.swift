import ArgumentParser
import DossierArchive
import DossierModel
import Foundation

/// `dossierctl verify`: every check of docs/archive-format.md on one archive.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an archive as a receiver would.",
        discussion: "Exit 0 valid, 1 invalid, 2 usage or setup error.")

    @Argument(help: "The .dva archive.") var archive: String
    @Option(help: "Trusted CA certificates (PEM); repeat for several files.") var trust: [String]
    @Option(help: "Certificate revocation list (PEM); repeat for several.") var crl: [String] = []
    @Option(help: "Reject an archive whose Destination-Authority is not this code.") var expectDestination: String?
    @Option(help: "Largest archive accepted, in bytes.") var maxSize: UInt64 = ArchiveLimits.default.maxArchiveBytes
    @Flag(help: "Print the verdict as JSON.") var json = false

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
            print(
                "\(report.valid ? "VALID" : "INVALID") \(report.archiveId ?? "(no bag)")  \(route)  signer: \(report.signer?.subject ?? "(none)")"
            )
            for reason in report.reasons {
                print("  \(reason.code) [\(reason.property.rawValue)]: \(reason.detail)")
            }
        }
        if !report.valid { throw ExitCode(1) }
    }
}
