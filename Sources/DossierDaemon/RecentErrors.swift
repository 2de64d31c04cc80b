import DossierAdmin
import Foundation
import Synchronization

/// The last few errors, for `dossierctl status`: operators see at once what is going wrong
/// without reading logs. Bounded; thread-safe.
final class RecentErrors: Sendable {
    private let lines = Mutex<[AdminProtocol.ErrorLine]>([])
    private let capacity: Int

    init(capacity: Int = 20) { self.capacity = capacity }

    func record(id: String?, peer: String?, error: String, at: Date = Date()) {
        lines.withLock { lines in
            lines.append(AdminProtocol.ErrorLine(at: at, id: id, peer: peer, error: error))
            if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
        }
    }

    /// Newest first.
    var snapshot: [AdminProtocol.ErrorLine] { lines.withLock { $0.reversed() } }

    /// The newest error about `peer`.
    func last(peer: String) -> String? { lines.withLock { $0.last { $0.peer == peer }?.error } }
}
