import DossierAdmin
import Foundation

/// The last few errors, for `dossierctl status`: operators see at once what is going wrong
/// without reading logs. Bounded; thread-safe.
final class RecentErrors: @unchecked Sendable {
    // Safe: `lines` is only touched under `lock`.
    private let lock = NSLock()
    private var lines: [AdminProtocol.ErrorLine] = []
    private let capacity: Int

    init(capacity: Int = 20) { self.capacity = capacity }

    func record(id: String?, peer: String?, error: String, at: Date = Date()) {
        lock.withLock {
            lines.append(AdminProtocol.ErrorLine(at: at, id: id, peer: peer, error: error))
            if lines.count > capacity { lines.removeFirst(lines.count - capacity) }
        }
    }

    /// Newest first.
    var snapshot: [AdminProtocol.ErrorLine] { lock.withLock { lines.reversed() } }

    /// The newest error about `peer`.
    func last(peer: String) -> String? { lock.withLock { lines.last { $0.peer == peer }?.error } }
}
