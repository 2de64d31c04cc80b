import Foundation

/// How one delivery attempt failed, as the transport saw it.
///
/// Classification (DESIGN.md §4): network, TLS and timeout failures, 5xx, 408 and 429 are
/// worth retrying; any other 4xx (including 422, the peer's rejection of the archive) and
/// unexpected statuses are permanent.
public enum DeliveryOutcome: Sendable, Hashable, CustomStringConvertible {
    /// The peer answered with an HTTP status that is not a success.
    /// `retryAfter` is the peer's `Retry-After` in seconds, when it sent one.
    case httpStatus(Int, retryAfter: TimeInterval?)
    /// The connection could not be made or broke (DNS, refused, reset).
    case network(String)
    /// The TLS handshake or certificate check failed.
    case tls(String)
    /// No answer within the transfer's time limit.
    case timeout

    /// Whether a later attempt may succeed where this one failed.
    public var isRetryable: Bool {
        switch self {
        case .network, .tls, .timeout: true
        case .httpStatus(let code, _): code == 408 || code == 429 || (500...599).contains(code)
        }
    }

    /// The delay the peer asked for, if any.
    public var retryAfter: TimeInterval? {
        if case .httpStatus(_, let retryAfter) = self { return retryAfter }
        return nil
    }

    /// A one-line text for logs and `dossierctl`.
    public var description: String {
        switch self {
        case .httpStatus(let code, let retryAfter):
            retryAfter.map { "HTTP \(code) (Retry-After \(Int($0)) s)" } ?? "HTTP \(code)"
        case .network(let detail): "network: \(detail)"
        case .tls(let detail): "TLS: \(detail)"
        case .timeout: "timeout"
        }
    }
}
