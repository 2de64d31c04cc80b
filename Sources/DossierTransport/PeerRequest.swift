import Foundation

/// Who an outbound request must reach (docs/protocol.md, Identity): the server certificate's subject must
/// hold exactly one `serialNumber`, equal to `code`, and when `spkiSHA256` is not empty its
/// public key must be one of those pins. Checked inside the TLS handshake of every new
/// connection and again before each request on a reused one.
public struct PeerIdentity: Sendable, Equatable {
    /// The peer's 6-digit authority code.
    public var code: String
    /// SHA-256 digests (32 bytes each) of the DER SubjectPublicKeyInfo the peer may present.
    public var spkiSHA256: [[UInt8]]

    /// The identity of authority `code`, optionally pinned to these SPKI SHA-256 digests.
    public init(code: String, spkiSHA256: [[UInt8]] = []) {
        self.code = code
        self.spkiSHA256 = spkiSHA256
    }

    /// Not a peer: a server publishing signed objects (CRLs), over HTTP or over HTTPS with a
    /// chain that verifies against the anchors (revocation aside, as the CRL being fetched may
    /// be the one revocation checking waits for). What is fetched must prove itself by its own
    /// signature; nothing else may be sent to such a server.
    public static let publisherOfSignedObjects = PeerIdentity(code: "")
}

/// One HTTP exchange with a peer, as the libcurl engine carries it out.
public struct PeerRequest: Sendable {
    public enum Method: String, Sendable {
        case get = "GET"
        case put = "PUT"
        case post = "POST"
    }

    /// Where the request body comes from. Files are streamed, never loaded whole.
    public enum Body: Sendable {
        case none
        case bytes([UInt8])
        case file(path: String, size: UInt64)
    }

    /// Where the answer's body goes. `memory` refuses answers over `limit` bytes; `file`
    /// streams to `path`, appending from `resumeFrom` (sent as `Range: bytes=N-`), and aborts
    /// the transfer (`TransportError.responseTooLarge`) before the file would exceed `limit` bytes.
    public enum Sink: Sendable {
        case memory(limit: Int)
        case file(path: String, resumeFrom: UInt64, limit: UInt64)
    }

    public var method: Method
    public var url: String
    /// The authority the server must prove to be before any request byte is sent.
    public var peer: PeerIdentity
    public var headers: [(String, String)]
    public var body: Body
    public var sink: Sink

    public init(
        method: Method, url: String, peer: PeerIdentity, headers: [(String, String)] = [], body: Body = .none,
        sink: Sink = .memory(limit: 1 << 20)
    ) {
        self.method = method
        self.url = url
        self.peer = peer
        self.headers = headers
        self.body = body
        self.sink = sink
    }
}

/// A peer's HTTP answer.
public struct PeerResponse: Sendable {
    public var status: Int
    /// Header names lowercased; the last value wins for repeated headers.
    public var headers: [String: String]
    /// The body, for `Sink.memory`; empty for `Sink.file`.
    public var body: [UInt8]
    /// Bytes sent and received in the body, for metrics.
    public var uploaded: UInt64
    public var downloaded: UInt64

    /// Seconds from a `Retry-After` header: delta-seconds (digits only, RFC 9110 §10.2.3) or an
    /// HTTP date, at most `longestRetryAfter`; nil for anything else ("inf", "1e9", "-5").
    public var retryAfter: Double? {
        guard let value = headers["retry-after"]?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            return UInt64(value).map { Double(min($0, UInt64(Self.longestRetryAfter))) } ?? Self.longestRetryAfter
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { min(Self.longestRetryAfter, max(0, $0.timeIntervalSinceNow)) }
    }

    /// The longest wait a peer's `Retry-After` is read as (a day): what a peer says must not
    /// overflow a date in the journal. The outbox waits at most its own backoff cap anyway
    /// (`RetryPolicy`).
    public static let longestRetryAfter: Double = 86_400
}
