import DossierSystem
import Foundation

/// Everything the outbox and its journal throw. Each case names the entry, file or offset.
public enum OutboxError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The id is empty, too long, or not made of `A–Z a–z 0–9 . _ -` (it names the spool file).
    case invalidID(String)
    /// An entry with this id is already in the outbox.
    case duplicateID(String)
    /// No entry has this id.
    case unknownID(String)
    /// The entry's state does not allow this change (see `OutboxState.successors`).
    case illegalTransition(id: String, from: OutboxState, to: OutboxState)
    /// Replay found damage outside the torn tail; the outbox was not opened and no file was
    /// touched. Open with `acceptDamage` to keep the damaged segments aside and continue.
    case journalDamaged([JournalDamage])
    /// A system call failed.
    case system(SystemError)
    /// An earlier write or sync of the journal failed; nothing more is accepted, because what
    /// is on disk is no longer known. Reopen the outbox to replay what is durable.
    case journalFailed(path: String, errno: Int32)
    /// The journal was closed.
    case closed
    /// Another journal (in this or another process) has the directory open.
    case locked(path: String)

    /// A one-line text for logs and `dossierctl`.
    public var description: String {
        switch self {
        case .invalidID(let id): "invalid outbox id \(String(reflecting: id))"
        case .duplicateID(let id): "outbox entry \(id) already exists"
        case .unknownID(let id): "no outbox entry \(id)"
        case .illegalTransition(let id, let from, let to): "outbox entry \(id) cannot go from \(from) to \(to)"
        case .journalDamaged(let damage):
            "journal damaged: " + damage.map(\.description).joined(separator: "; ")
                + " (start with --accept-journal-damage to keep it aside and continue)"
        case .system(let error): error.description
        case .journalFailed(let path, let errno):
            "journal \(path) failed earlier (\(String(cString: strerror(errno)))); reopen to recover"
        case .closed: "journal closed"
        case .locked(let path): "journal \(path) is in use by another process"
        }
    }
}

/// Runs a system-layer call and reports its failure as `OutboxError.system`.
func system<T>(_ body: @autoclosure () throws(SystemError) -> T) throws(OutboxError) -> T {
    do { return try body() } catch { throw .system(error) }
}
