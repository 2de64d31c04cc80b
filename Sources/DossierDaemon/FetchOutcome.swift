import Foundation

/// How the fetches of one published object (a CRL, the directory) last went, for `status`.
struct FetchOutcome: Sendable {
    var lastSuccess: Date?
    var lastFailure: (at: Date, why: String)?

    /// The last failure when it came after the last success: the fetch is failing now.
    var failing: (at: Date, why: String)? {
        guard let lastFailure, lastFailure.at > (lastSuccess ?? .distantPast) else { return nil }
        return lastFailure
    }
}
