import DossierArchive
import Synchronization

/// The chains full handshakes judged, by their leaf, for the server's resumed TLS sessions.
///
/// A resumed session (TLS 1.2 session id or ticket, TLS 1.3 PSK) skips certificate verification
/// and carries only the caller's leaf certificate, yet it may be resumed long after the trust in
/// force has changed (a CRL refreshed, an intermediate revoked, one that went stale). The
/// connection takes the standing of the handshake that made the session: the chain and the
/// trust it was judged under, so that its requests judge that chain again under the trust in
/// force, exactly as for a kept-alive connection (`PeerRoutes.standing`). Sessions live no longer
/// than the TLS context that made them, and so no longer than this process.
///
/// **Memory.** At most `capacity` chains (a few KiB each), the oldest forgotten first: a network
/// of some 400 offices presents a few leaves each. A leaf forgotten is judged alone, which holds
/// for chains whose intermediates the trust store has (`PeerRoutes`). Thread-safe.
final class JudgedChains: Sendable {
    private struct State {
        var byLeaf: [[UInt8]: CallerStanding.Judged] = [:]
        var order: [[UInt8]] = []
    }

    static let capacity = 1024
    private let state = Mutex(State())

    /// Keeps `judged` for its leaf, replacing an older judgement of the same leaf.
    func remember(_ judged: CallerStanding.Judged) {
        guard let leaf = judged.chain.first else { return }
        state.withLock { state in
            if state.byLeaf.updateValue(judged, forKey: leaf) == nil { state.order.append(leaf) }
            if state.order.count > Self.capacity { state.byLeaf[state.order.removeFirst()] = nil }
        }
    }

    /// The latest judgement of a chain with this leaf.
    func judgement(ofLeaf leaf: [UInt8]) -> CallerStanding.Judged? { state.withLock { $0.byLeaf[leaf] } }
}
