/// The algorithm profiles of an archive (docs/archive-format.md, "Profiles"): which digest the
/// manifests use and which signature the tag manifest carries. The profile follows from the
/// signer's key (`SigningIdentity.profile`) and is named in bag-info (`Signature-Profile`).
public enum ArchiveProfile: String, Sendable, Codable, CaseIterable {
    /// SHA-256 manifests, an ECDSA or RSA signature with SHA-256: the profile of version 1 and of
    /// bags made by other tools (bag-info without `Signature-Profile`).
    case sha256
    /// The national-algorithm profile (GM/T): SM3 manifests, an SM2-with-SM3 signature
    /// (OID 1.2.156.10197.1.501) with the GM/T 0009 default signer ID.
    case sm2SM3 = "sm2-sm3"

    /// The GM/T 0009-2012 default user ID of SM2 signatures, used for archive and receipt
    /// signatures and for the certificates of SM2 chains (OpenSSL 3.0's own default is empty).
    public static let sm2DistinguishingID = Array("1234567812345678".utf8)

    /// The manifests' digest algorithm.
    public var digest: DigestAlgorithm {
        switch self {
        case .sha256: .sha256
        case .sm2SM3: .sm3
        }
    }

    /// `manifest-<algorithm>.txt`: every payload file.
    public var payloadManifest: String { "manifest-\(digest.rawValue).txt" }
    /// `tagmanifest-<algorithm>.txt`: bagit.txt, bag-info.txt and the payload manifest.
    public var tagManifest: String { "tagmanifest-\(digest.rawValue).txt" }
    /// The detached CMS signature over the tag manifest.
    public var signaturePath: String { "signatures/\(tagManifest).p7s" }

    /// The profile a bag-info `Signature-Profile` value names; nil for a name not known here.
    /// A bag-info without the label is in the `sha256` profile.
    public init?(bagInfoValue: String?) {
        guard let bagInfoValue else {
            self = .sha256
            return
        }
        self.init(rawValue: bagInfoValue)
    }
}
