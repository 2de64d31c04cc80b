import DossierOutbox
import DossierSystem

/// Why a request to a peer got no HTTP answer; `outcome` classifies it for the outbox.
public enum TransportError: Error, Equatable, CustomStringConvertible {
    /// The peer's host name did not resolve.
    case dns(url: String, detail: String)
    /// No TCP connection could be made.
    case connect(url: String, detail: String)
    /// The TLS handshake failed or the peer's certificate was refused (or it refused ours).
    case tls(url: String, detail: String)
    /// The server is not the peer asked for (`peer-identity`): its certificate names another
    /// authority (or none, or several), or its key is not pinned. Found inside the handshake,
    /// before any request byte; retryable, since the address may be fixed or the impostor go.
    case peerIdentity(url: String, expected: String, presented: String)
    /// Connect timeout, or the transfer stayed under the low-speed limit too long.
    case timeout(url: String, detail: String)
    /// The connection broke mid-request or mid-response.
    case connectionLost(url: String, detail: String)
    /// The answer was larger than the caller allowed.
    case responseTooLarge(url: String, limit: Int)
    /// The answer's header lines came to more than `limit` bytes (`CurlTransfer.headerLimit`).
    case headersTooLarge(url: String, limit: Int)
    /// A local file (upload source, download target) could not be used.
    case file(SystemError)
    /// The request could not even be set up (bad URL, unreadable client certificate).
    case setup(url: String, detail: String)
    /// The client was shut down or the task cancelled before the answer came.
    case cancelled(url: String)
    /// The client itself could not be made: no thread for its engine.
    case system(SystemError)

    /// The failure in the outbox's vocabulary: network, TLS, timeouts and cancellation are
    /// retried; a request that could not be set up (a local problem) or an oversized answer
    /// (body or headers) is not.
    public var outcome: DeliveryOutcome {
        switch self {
        case let .tls(_, detail): return .tls(detail)
        // Journalled as a TLS failure (retried, never dead), its text naming both codes.
        case let .peerIdentity(_, expected, presented):
            return .tls("peer-identity: expected authority \(expected), the server presented \(presented)")
        case .timeout: return .timeout
        case let .dns(_, detail), let .connect(_, detail), let .connectionLost(_, detail): return .network(detail)
        case .cancelled: return .network("cancelled (shutting down)")
        case .file, .setup, .system: return .local(description)
        case .responseTooLarge, .headersTooLarge: return .refused(status: 0, detail: description)
        }
    }

    public var description: String {
        switch self {
        case let .dns(url, detail): return "\(url): name resolution failed: \(detail)"
        case let .connect(url, detail): return "\(url): connection failed: \(detail)"
        case let .tls(url, detail): return "\(url): TLS failed: \(detail)"
        case let .peerIdentity(url, expected, presented):
            return "\(url): peer-identity: expected authority \(expected), the server presented \(presented)"
        case let .timeout(url, detail): return "\(url): timed out: \(detail)"
        case let .connectionLost(url, detail): return "\(url): connection lost: \(detail)"
        case let .responseTooLarge(url, limit): return "\(url): answer larger than \(limit) bytes"
        case let .headersTooLarge(url, limit): return "\(url): answer's header lines larger than \(limit) bytes"
        case let .file(error), let .system(error): return error.description
        case let .setup(url, detail): return "\(url): \(detail)"
        case let .cancelled(url): return "\(url): cancelled"
        }
    }
}
