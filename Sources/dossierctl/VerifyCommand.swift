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
    @Option(name: .customLong("tsa-trust"), help: ArgumentHelp(CtlText.tsaTrustHelp)) var tsaTrust: [String] = []
    @Flag(help: ArgumentHelp(CtlText.requireTimestampHelp)) var requireTimestamp = false
    @Option(help: ArgumentHelp(CtlText.requireProfileHelp)) var requireProfile: String?
    @Flag(help: ArgumentHelp(CtlText.jsonVerdictHelp)) var json = false

    /// The JSON shape of the issue: `{valid, archiveId, origin, destination, signer, reasons}`.
    struct Output: Encodable {
        var valid: Bool
        var archiveId: String?
        var origin: String?
        var destination: String?
        var signer: CertificateInfo?
        var signingTime: Date?
        /// The RFC 3161 token's time and TSA, and whether it was trusted.
        var timestamp: TimestampInfo?
        /// `sha256` or `sm2-sm3` (docs/archive-format.md, "Profiles").
        var profile: ArchiveProfile?
        var archiveSha256: String?
        var reasons: [Finding]
    }

    func run() throws {
        if requireTimestamp, tsaTrust.isEmpty { fail("--require-timestamp needs --tsa-trust") }
        let requiredProfile = requireProfile.flatMap(ArchiveProfile.init(rawValue:))
        if let requireProfile, requiredProfile == nil { fail("--require-profile: \(requireProfile) is not one of sha256, sm2-sm3") }
        let store: TrustStore
        let timestamps: TimestampPolicy
        do {
            store = try TrustStore(caFiles: trust, crlFiles: crl)
            let tsaStore = tsaTrust.isEmpty ? nil : try TrustStore(caFiles: tsaTrust, crlFiles: crl)
            timestamps = TimestampPolicy(trust: tsaStore, required: requireTimestamp)
        } catch { fail("\(error)") }
        var limits = ArchiveLimits.default
        limits.maxArchiveBytes = maxSize
        let report: VerificationReport
        do {
            report = try ArchiveVerifier(
                trust: store, limits: limits, expectedDestination: expectDestination, timestamps: timestamps,
                requiredProfile: requiredProfile
            ).verify(path: archive, digestArchive: true)
        } catch { fail("\(error)") }
        if json {
            printJSON(
                Output(
                    valid: report.valid, archiveId: report.archiveId, origin: report.origin,
                    destination: report.destination, signer: report.signer, signingTime: report.signingTime,
                    timestamp: report.timestamp, profile: report.profile, archiveSha256: report.archiveDigest, reasons: report.reasons))
        } else {
            let route = "\(report.origin ?? "?") → \(report.destination ?? "?")"
            print(
                CtlText.verifyVerdict(
                    valid: report.valid, id: report.archiveId, route: route, profile: report.profile?.rawValue ?? "?",
                    signer: report.signer?.subject))
            print("  \(Self.timeLine(report))")
            for reason in report.reasons {
                print("  " + CtlText.finding(code: reason.code, property: reason.property.rawValue, detail: reason.detail))
            }
        }
        if !report.valid { throw ExitCode(1) }
    }

    /// When the archive was signed, and on whose word.
    static func timeLine(_ report: VerificationReport) -> String {
        let claimed = report.signingTime.map { $0.formatted(.iso8601) } ?? CtlText.noSigningTime
        guard let timestamp = report.timestamp else { return CtlText.untrustedSigningTime(claimed) }
        let when = timestamp.time.formatted(.iso8601)
        return timestamp.trusted
            ? CtlText.trustedTime(when, authority: timestamp.authority)
            : CtlText.untrustedTimestamp(claimed, stamped: when, authority: timestamp.authority)
    }
}
