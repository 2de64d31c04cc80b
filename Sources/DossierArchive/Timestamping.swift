import Foundation

/// Carries an RFC 3161 query to a time-stamping authority and brings back its answer. The
/// packer builds the query and judges the answer; a source only moves bytes (the daemon's is
/// HTTP over libcurl, in DossierTransport), so this module links no network code.
public protocol TimestampSource: Sendable {
    /// Sends a DER `TimeStampReq` and returns the TSA's DER `TimeStampResp`, blocking the
    /// calling thread (packing runs on the blocking pool).
    /// - Throws: `TimestampError.unreachable` when no answer came: no connection, a timeout,
    ///   an HTTP status other than 200, or another content type than `application/timestamp-reply`.
    func exchange(_ query: [UInt8]) throws(TimestampError) -> [UInt8]
}

/// Why a timestamp could not be had. Every case is a property of the TSA or the way to it,
/// never of the dossier: a packing that needs a token waits and tries again.
public enum TimestampError: Error, Equatable, CustomStringConvertible {
    /// No answer from `url`.
    case unreachable(url: String, detail: String)
    /// The TSA answered with a status other than granted (RFC 3161 PKIStatus).
    case rejected(status: Int, detail: String)
    /// The answer is not a time-stamp response for this query (unparsable, another imprint or
    /// nonce), or its token does not verify against the TSA's configured trust.
    case badResponse(detail: String)

    public var description: String {
        switch self {
        case let .unreachable(url, detail): return "the time-stamping authority \(url) did not answer: \(detail)"
        case let .rejected(status, detail): return "the time-stamping authority refused (status \(status)): \(detail)"
        case let .badResponse(detail): return "the time-stamping authority's answer is unusable: \(detail)"
        }
    }
}

/// How the packer timestamps a signature (`[timestamp]` in the daemon's config).
public struct Timestamping: Sendable {
    /// Where tokens come from.
    public var source: any TimestampSource
    /// The TSA's CA (and CRLs): a token is checked against it before it is embedded. Nil: the
    /// token is embedded after the query checks (status, imprint, nonce) only.
    public var trust: TrustStore?
    /// Whether every archive must carry a token. When true, packing retries for up to `wait`
    /// and then fails with `ArchiveError.timestamp`, which callers treat as "later"; when false,
    /// one attempt is made and a failure leaves the archive without a token.
    public var required: Bool
    /// How long one packing keeps retrying a TSA that fails, when `required`.
    public var wait: TimeInterval
    /// First pause between attempts (doubling, at most 5 s).
    public var retryDelay: TimeInterval
    /// Told of every attempt: how long it took and the error, if it failed (for metrics).
    public var observe: (@Sendable (_ seconds: Double, _ error: TimestampError?) -> Void)?

    /// Asks `source`, checking tokens against `trust`; with `required`, retries for `wait`.
    public init(
        source: any TimestampSource, trust: TrustStore? = nil, required: Bool, wait: TimeInterval = 10,
        retryDelay: TimeInterval = 0.5, observe: (@Sendable (_ seconds: Double, _ error: TimestampError?) -> Void)? = nil
    ) {
        self.source = source
        self.trust = trust
        self.required = required
        self.wait = wait
        self.retryDelay = retryDelay
        self.observe = observe
    }

    /// A token over `signatureValue`: asked once, or until `wait` has passed when `required`.
    /// - Throws: the last `TimestampError` once no more attempts are due.
    func token(over signatureValue: [UInt8]) throws(TimestampError) -> [UInt8] {
        let deadline = Date().addingTimeInterval(required ? wait : 0)
        var delay = retryDelay
        while true {
            let started = Date()
            do {
                let token = try TimestampToken.request(over: signatureValue, from: source, trust: trust)
                observe?(Date().timeIntervalSince(started), nil)
                return token
            } catch {
                observe?(Date().timeIntervalSince(started), error)
                guard Date().addingTimeInterval(delay) < deadline else { throw error }
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
            }
        }
    }
}

/// What a verifier found out about an archive's timestamp token.
public struct TimestampInfo: Sendable, Codable, Equatable {
    /// The token's genTime: when the TSA saw the signature.
    public var time: Date
    /// The TSA's name (its certificate's CN, else subject).
    public var authority: String
    /// True when the token verified against the configured TSA trust and covers this
    /// signature; only then does `time` replace the self-asserted signingTime.
    public var trusted: Bool
}
