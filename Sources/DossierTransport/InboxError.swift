import DossierArchive

/// Why the inbox cannot be opened or cannot store an archive.
public enum InboxError: Error, Equatable, CustomStringConvertible {
    /// The receiving identity's certificate has no authority code (subject serialNumber).
    case noAuthorityCode(subject: String)
    /// A record the inbox wrote earlier no longer reads back: disk damage or tampering. The
    /// entry's files are left in place for an operator.
    case damagedEntry(path: String)
    /// A file operation failed.
    case storage(ArchiveError)
    /// A folder could not be created, read or cleaned up.
    case fileSystem(path: String, operation: String, reason: String)

    public var description: String {
        switch self {
        case let .noAuthorityCode(subject): return "the inbox certificate (\(subject)) has no authority code in its subject serialNumber"
        case let .damagedEntry(path): return "\(path): inbox record unreadable; left in place for inspection"
        case let .storage(error): return error.description
        case let .fileSystem(path, operation, reason): return "\(path): \(operation) failed: \(reason)"
        }
    }
}
