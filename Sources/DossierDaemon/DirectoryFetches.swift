import Foundation
import Synchronization

/// How the fetches of `[directory] url` last went, for `status`, and the validators of the copy
/// in force (`ETag`, `Last-Modified`) for the next conditional GET. Thread-safe.
final class DirectoryFetches: Sendable {
    struct State: Sendable {
        var outcome = FetchOutcome()
        /// The URL the validators belong to: a changed URL is fetched unconditionally.
        var url: String?
        var etag: String?
        var lastModified: String?
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
