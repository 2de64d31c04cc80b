import DossierModel
import DossierSystem
import Foundation

/// The verdict on one archive: valid when there are no findings.
public struct VerificationReport: Sendable, Codable {
    public var valid: Bool
    public var archiveId: String?
    public var origin: String?
    public var destination: String?
    public var signer: CertificateInfo?
    public var signingTime: Date?
    /// The signature's RFC 3161 token, when it has one: the trusted time and the TSA. Without
    /// a trusted one, `signingTime` is only the signer's own claim.
    public var timestamp: TimestampInfo?
    /// The profile bag-info names (`sha256` when it names none); nil when the bag could not be
    /// read that far or names an unknown one.
    public var profile: ArchiveProfile?
    /// Every failed check, with a stable code (docs/archive-format.md, DA/T 70 property).
    public var reasons: [Finding]
    /// bag-info.txt as read (label, value), in order.
    public var bagInfo: [BagInfoField]
    /// Payload files and their sizes, sorted by path.
    public var files: [FileEntry]
    /// SHA-256 of the whole archive (hex), when asked for.
    public var archiveDigest: String?
    public var archiveSize: UInt64

    public struct BagInfoField: Sendable, Codable, Equatable {
        public var label: String
        public var value: String
    }

    public struct FileEntry: Sendable, Codable, Equatable {
        public var path: String
        public var size: UInt64
        /// The file's digest in the profile's algorithm (SM3 in `sm2-sm3`); the name stays for
        /// the readers of version 1 reports.
        public var sha256: String
    }
}

/// Verifies a `.dva` archive as hostile input, in one streaming pass (docs/archive-format.md): tar
/// structure, bag layout, manifests and digests, Payload-Oxum, the CMS signature and its
/// signer's authority, sizes against limits, then the four-property check of the record and
/// documents (DossierModel). Nothing is extracted; memory is bounded by the limits.
public struct ArchiveVerifier: Sendable {
    public var trust: TrustStore
    public var limits: ArchiveLimits
    /// When set, an archive for another destination is rejected (`wrong-destination`).
    public var expectedDestination: String?
    /// Which TSAs are trusted and whether a token is required.
    public var timestamps: TimestampPolicy
    /// When set, an archive in another profile is rejected (`profile-refused`); its payload is
    /// then hashed in this profile's digest only.
    public var requiredProfile: ArchiveProfile?

    public init(
        trust: TrustStore, limits: ArchiveLimits = .default, expectedDestination: String? = nil, timestamps: TimestampPolicy = .none,
        requiredProfile: ArchiveProfile? = nil
    ) {
        self.trust = trust
        self.limits = limits
        self.expectedDestination = expectedDestination
        self.timestamps = timestamps
        self.requiredProfile = requiredProfile
    }

    /// Verifies the archive at `path`, in the profile its bag-info names. `digestArchive` also
    /// computes the SHA-256 of the whole file in the same pass. The payload is hashed in the
    /// digest of `requiredProfile` (else SHA-256) while the archive is read; bag-info comes after
    /// the payload, so a bag in another profile is read a second time in its own digest.
    /// - Throws: `SystemError` only when the file cannot be read; invalid contents give a
    ///   report with `valid == false`.
    public func verify(path: String, digestArchive: Bool = false, now: Date = Date()) throws -> VerificationReport {
        let contents = try ArchiveScanner.scanInItsProfile(
            path: path, limits: limits, digestArchive: digestArchive, first: requiredProfile?.digest ?? .sha256)
        var report = BagReading.report(contents)
        guard !contents.findings.contains(where: BagReading.isFatal) else { return report }
        let named = BagReading.profile(bagInfo: report.bagInfo)
        guard let profile = named.profile else {
            report.reasons += named.unknown.map { [$0] } ?? []
            report.valid = false
            return report
        }
        report.profile = profile
        var findings = BagReading.checkBag(contents, bagInfo: report.bagInfo, profile: profile)
        if let requiredProfile, profile != requiredProfile {
            findings.append(
                Finding(
                    .security, "profile-refused",
                    "the archive is in the \(profile.rawValue) profile; this receiver requires \(requiredProfile.rawValue)"))
        }
        if let signature = contents.tagFiles[profile.signaturePath], let tagManifest = contents.tagFiles[profile.tagManifest] {
            let result = SignatureCheck.verifyDetached(
                signature: signature, content: tagManifest, trust: trust, timestamps: timestamps, profile: profile, now: now)
            report.signer = result.signer
            report.signingTime = result.signingTime
            report.timestamp = result.timestamp
            findings += result.findings
            if let signer = result.signer, let origin = report.origin, signer.authority != origin {
                findings.append(
                    Finding(
                        .authenticity, "signer-not-origin",
                        "signed by authority \(signer.authority ?? "(none)"), Origin-Authority is \(origin)"))
            }
        } else {
            findings.append(Finding(.authenticity, "signature-missing", "no \(profile.signaturePath)"))
        }
        if let expectedDestination, report.destination != expectedDestination {
            findings.append(
                Finding(
                    .security, "wrong-destination",
                    "Destination-Authority is \(report.destination ?? "(none)"), expected \(expectedDestination)"))
        }
        let info = report.bagInfo.map { ($0.label, $0.value) }
        findings += FourPropertyCheck.run(bagInfo: info, record: contents.record.map { Data($0) }, documents: contents.documents)
        report.reasons += findings
        report.valid = report.reasons.isEmpty
        return report
    }
}
