import DossierArchive
import DossierSystem

/// Why the inbox cannot be opened or cannot store an archive.
public enum InboxError: Error, Equatable, CustomStringConvertible {
    /// The receiving identity's certificate has no authority code (subject serialNumber).
    case noAuthorityCode(subject: String)
    /// A record the inbox wrote earlier no longer reads back: disk damage or tampering. The
    /// entry's files are left in place for an operator.
    case damagedEntry(path: String)
    /// A file could not be read, written, renamed or removed.
    case system(SystemError)
    /// The receipt could not be signed.
    case signing(ArchiveError)
    /// The arrival could not be logged in the custody log (the receipt must point at it).
    case custody(String)

    public var description: String {
        switch self {
        case let .noAuthorityCode(subject): return "the inbox certificate (\(subject)) has no authority code in its subject serialNumber"
        case let .damagedEntry(path): return "\(path): inbox record unreadable; left in place for inspection"
        case let .system(error): return error.description
        case let .signing(error): return "cannot sign the receipt: \(error)"
        case let .custody(reason): return "cannot log the arrival in the custody log: \(reason)"
        }
    }

    /// True when the cause lies with this receiver and may clear (a full disk): the sender
    /// should be told to come back later, not that its archive is bad.
    public var isTransient: Bool {
        if case let .system(error) = self { return error.isOutOfSpace }
        return false
    }
}
