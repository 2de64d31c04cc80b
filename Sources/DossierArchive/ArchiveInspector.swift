import DossierModel
import DossierSystem
import Foundation

/// What `dossierctl inspect` shows: the archive's description without judging trust.
public struct ArchiveInspection: Sendable {
    /// bag-info, the profile, files (digests in the profile's algorithm), the signer's
    /// certificate (unverified) and structural problems only.
    public var report: VerificationReport
    /// `data/dossier.json` as stored, when present.
    public var record: Data?
}

/// Reads an archive for display, with the same hostile-input scanner as verification but no
/// trust decision: the signer shown is whoever the signature names.
public enum ArchiveInspector {
    /// - Throws: `SystemError` when the file cannot be read.
    public static func inspect(path: String, limits: ArchiveLimits = .default) throws -> ArchiveInspection {
        let contents = try ArchiveScanner.scanInItsProfile(path: path, limits: limits, digestArchive: true, first: .sha256)
        var report = BagReading.report(contents)
        report.profile = BagReading.profile(bagInfo: report.bagInfo).profile
        if let signature = contents.tagFiles[report.profile?.signaturePath ?? ArchiveProfile.sha256.signaturePath] {
            report.signer = SignatureCheck.signer(of: signature)
        }
        return ArchiveInspection(report: report, record: contents.record.map { Data($0) })
    }
}
