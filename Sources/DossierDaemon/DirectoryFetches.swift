import Foundation
import Synchronization

/// How the fetches of `[directory] url` last went, for `status`, the validators of the copy in
/// force (`ETag`, `Last-Modified`) for the next conditional GET, and that copy's digest, so that
/// the same bytes fetched again (a server without validators, or the first fetch after a
/// restart, whose validators are gone) are not verified and decoded again, as long as the trust
/// they were verified under has not changed. Thread-safe.
final class DirectoryFetches: Sendable {
    struct State: Sendable {
        var outcome = FetchOutcome()
        /// The URL the validators belong to: a changed URL is fetched unconditionally.
        var url: String?
        var etag: String?
        var lastModified: String?
        /// SHA-256 (hex) of the signed directory in force.
        var inForce: String?
        /// What it was verified under (`DirectoryRefreshService.trustInputs`).
        var judgedUnder: String?
    }

    private let state = Mutex(State())

    var current: State { state.withLock { $0 } }

    func succeeded(at: Date) { state.withLock { $0.outcome.lastSuccess = at } }

    func failed(_ why: String, at: Date = Date()) { state.withLock { $0.outcome.lastFailure = (at, why) } }

    /// Remembers the validators of the copy just admitted from `url`.
    func validators(url: String, etag: String?, lastModified: String?) {
        state.withLock {
            $0.url = url
            $0.etag = etag
            $0.lastModified = lastModified
        }
    }

    /// Records the digest of the signed directory now in force and what it was verified under.
    func inForce(digest: String, judgedUnder inputs: String) {
        state.withLock {
            $0.inForce = digest
            $0.judgedUnder = inputs
        }
    }

    /// Forgets the directory in force (dropped: it no longer verifies) and its validators, so
    /// that the next fetch is unconditional.
    func dropped() {
        state.withLock {
            ($0.inForce, $0.judgedUnder) = (nil, nil)
            ($0.url, $0.etag, $0.lastModified) = (nil, nil, nil)
        }
    }

    /// Whether `digest` is that of the signed directory in force.
    func isInForce(digest: String) -> Bool { state.withLock { $0.inForce == digest } }

    /// Whether the directory in force was verified under `inputs`.
    func isJudged(under inputs: String) -> Bool { state.withLock { $0.judgedUnder == inputs } }

    /// The conditional headers for the next fetch of `url`.
    func conditionalHeaders(url: String) -> [(String, String)] {
        state.withLock { state in
            guard state.url == url else { return [] }
            return [("If-None-Match", state.etag), ("If-Modified-Since", state.lastModified)].compactMap { name, value in
                value.map { (name, $0) }
            }
        }
    }
}
