import Foundation

/// Why an archive operation could not be carried out (as opposed to an archive found invalid,
/// which is a `VerificationReport` with findings).
public enum ArchiveError: Error, Equatable, CustomStringConvertible {
    /// The dossier folder being packed is not usable as it stands.
    case dossier(path: String, reason: String)
    /// A document's size changed between listing and copying it.
    case documentChanged(path: String)
    /// A certificate, key, trust anchor or CRL file could not be used.
    case credentials(path: String, reason: String)
    /// The signing certificate does not belong to the archive's origin authority.
    case signerNotOrigin(certificateCode: String?, origin: String)
    /// OpenSSL refused to sign.
    case signing(reason: String)
    /// A required timestamp token could not be had: the TSA's fault, never the dossier's, so
    /// the same packing may succeed later.
    case timestamp(TimestampError)

    public var description: String {
        switch self {
        case let .dossier(path, reason):
            return "\(path): \(reason)"
        case let .documentChanged(path):
            return "\(path): the document changed size while it was being packed"
        case let .credentials(path, reason):
            return "\(path): \(reason)"
        case let .signerNotOrigin(code, origin):
            return "the signing certificate belongs to authority \(code ?? "(none: no serialNumber in subject)"), "
                + "not to the origin authority \(origin)"
        case let .signing(reason):
            return "signing failed: \(reason)"
        case let .timestamp(error):
            return "\(error); a timestamp is required ([timestamp] required), so the dossier waits until the TSA answers"
        }
    }
}
