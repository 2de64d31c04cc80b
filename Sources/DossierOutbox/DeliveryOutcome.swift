import Foundation

/// How one delivery attempt failed, as the transport saw it.
///
/// Classification (docs/protocol.md, retry rules): network, TLS and timeout failures, 5xx, 408 and 429 are
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
    /// The peer verified the archive and rejected it (422, with its signed reasons). Permanent.
    case rejected(String)
    /// The peer refused the request for good (403, 409, 413, …). Permanent.
    case refused(status: Int, detail: String)
    /// The peer refuses this authority itself (403 `revoked`, `unknown-peer`, `no-authority`):
    /// not a verdict on the archive, and it lasts until an operator on either side acts (a new
    /// certificate, the peer list). Retried with backoff until `give_up_after`, never dead at
    /// once.
    case notAccepted(status: Int, detail: String)
    /// The attempt could not be made because of something on this side (the spool file is
    /// missing or unreadable, the peer is no longer configured): no peer said anything. Not
    /// retried by itself; an operator fixes the cause and requeues.
    case local(String)
    /// The peer answered 2xx but its receipt does not prove delivery (bad signature, other
    /// signer, other digest). Retried: the receiver deduplicates by id and digest.
    case badReceipt(String)
    /// The peer took the archive and its receipt verified, but this side could not keep the
    /// receipt (a full disk). Retried with backoff: the peer answers the repeated push with the
    /// receipt it keeps. Not the peer's failure (its circuit is left alone).
    case unrecorded(String)

    /// Whether a later attempt may succeed where this one failed.
    public var isRetryable: Bool {
        switch self {
        case .network, .tls, .timeout, .badReceipt, .notAccepted, .unrecorded: true
        case .rejected, .refused, .local: false
        case .httpStatus(let code, _): code == 408 || code == 429 || (500...599).contains(code)
        }
    }

    /// Whether the failure tells something of the peer (and counts towards its circuit), not
    /// only of this side.
    public var concernsThePeer: Bool {
        switch self {
        case .local, .unrecorded: false
        default: true
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
            // `%.0f`: a value kept by an older journal may be too large for `Int`.
            retryAfter.map { "HTTP \(code) (Retry-After \(String(format: "%.0f", $0)) s)" } ?? "HTTP \(code)"
        case .network(let detail): "network: \(detail)"
        case .tls(let detail): "TLS: \(detail)"
        case .timeout: "timeout"
        case .rejected(let detail): "rejected by the peer: \(detail)"
        case .refused(let status, let detail): status > 0 ? "refused (HTTP \(status)): \(detail)" : "refused: \(detail)"
        case .badReceipt(let detail): "bad receipt: \(detail)"
        case .local(let detail): "not sent (local problem): \(detail)"
        case .unrecorded(let detail): "delivered but not recorded here: \(detail)"
        case .notAccepted(let status, let detail): "the peer does not accept this authority (HTTP \(status)): \(detail)"
        }
    }

    /// A short label for metrics.
    public var metricLabel: String {
        switch self {
        case .httpStatus(let code, _): "http-\(code)"
        case .network: "network"
        case .tls: "tls"
        case .timeout: "timeout"
        case .rejected: "rejected"
        case .refused: "refused"
        case .badReceipt: "bad-receipt"
        case .local: "local"
        case .unrecorded: "unrecorded"
        case .notAccepted: "not-accepted"
        }
    }
}
