import DossierArchive
import Foundation
import Synchronization

/// Keeps a failing TSA from occupying the blocking pool when tokens are required: once a
/// packing has given up on the TSA, other packings are answered at once with that failure (the
/// dossier stays where it is) until `pause` has passed; then one packing at a time tries the
/// TSA again, and its outcome opens or closes the gate. Thread-safe.
final class TimestampGate: Sendable {
    private struct State {
        var failure: TimestampError?
        var retryAt = Date.distantPast
        var probing = false
    }

    private let state = Mutex(State())

    /// Nil when the caller may pack (and ask the TSA); else the TSA's last failure, which the
    /// caller answers with without packing. A nil answer must be followed by `record`.
    func admit(now: Date = Date()) -> TimestampError? {
        state.withLock { state in
            guard let failure = state.failure else { return nil }
            guard !state.probing, now >= state.retryAt else { return failure }
            state.probing = true
            return nil
        }
    }

    /// How an admitted packing ended.
    enum Outcome {
        /// The TSA gave a token: the gate opens.
        case token
        /// The TSA failed: the gate closes for `pause`.
        case failed(TimestampError)
        /// The packing ended before the TSA was judged (a refused dossier, a full disk).
        case other
    }

    /// Records how an admitted packing ended.
    func record(_ outcome: Outcome, pause: TimeInterval, now: Date = Date()) {
        state.withLock { state in
            state.probing = false
            switch outcome {
            case .token: state.failure = nil
            case let .failed(error):
                state.failure = error
                state.retryAt = now.addingTimeInterval(pause)
            case .other: break
            }
        }
    }
}
