import DossierModel
import DossierSystem
import DossierText
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

extension DaemonConfig {
    /// `[policy.credit]`: the credit restriction list (docs/operations.md, "Credit list") and
    /// what a listed seller or buyer does to a transfer.
    public struct CreditSettings: Sendable, Equatable {
        /// Where the list comes from.
        public enum Source: Sendable, Equatable {
            /// A local file, read (and checked) with the config: at start and on SIGHUP.
            case file(path: String, list: CreditList)
            /// An `https://` URL, fetched at start, every `refresh` and on SIGHUP.
            case url(String)
        }

        public var source: Source
        public var action: CreditAction
        /// Seconds between conditional fetches of a `url` list.
        public var refresh: TimeInterval

        /// Reads `[policy.credit]` (nil when absent); a `list` file is read and parsed here, so a
        /// bad entry refuses the config (start or reload) naming the list file and line.
        /// - Throws: `ConfigError` naming the key.
        static func parse(_ table: TOMLReader?, resolve: (String) -> String) throws(ConfigError) -> CreditSettings? {
            guard var table else { return nil }
            let file = try table.string("list").map(resolve)
            let url = try table.string("url")
            let actionText = try table.string("action") ?? CreditAction.block.rawValue
            guard let action = CreditAction(rawValue: actionText) else {
                throw table.error("action", DaemonText.Config.notOneOf(actionText, ["block", "warn"]))
            }
            let refresh = try table.duration("refresh") ?? 3600
            guard refresh >= 1 else { throw table.error("refresh", DaemonText.Config.atLeastOneSecond) }
            try table.rejectUnknownKeys()
            switch (file, url) {
            case let (file?, nil):
                let text: String
                do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                    throw table.error("list", DaemonText.Config.fileUnreadable(file, error.localizedDescription))
                }
                do throws(CreditListError) {
                    return CreditSettings(
                        source: .file(path: file, list: try CreditList.parse(text, source: file)), action: action, refresh: refresh)
                } catch {
                    throw table.error("list", error.description)
                }
            case let (nil, url?):
                // The list is not signed: only a server whose TLS chain verifies against the anchors is believed.
                guard url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                    throw table.error("url", DaemonText.Config.notHTTPSURL(url))
                }
                return CreditSettings(source: .url(url), action: action, refresh: refresh)
            case (nil, nil): throw table.error("list", DaemonText.Config.listOrURL)
            case (_?, _?): throw table.error("url", DaemonText.Config.listAndURL)
            }
        }
    }
}

/// The credit restrictions in force, and how the fetches of a `url` list last went. The list
/// of a file comes with each config; a fetched one stays in force across reloads until a newer
/// fetch replaces it. Thread-safe.
final class CreditLists: Sendable {
    private let state = Mutex<(list: CreditList?, action: CreditAction)>((nil, .block))
    /// Fetch outcome and validators of the `url` list, kept like the directory's.
    let fetches = DirectoryFetches()
    /// Wakes the refresh before its period, on a reload.
    let wake = WakeSignal()

    /// What every check screens against now; nil when no list is configured or none fetched yet.
    var restrictions: CreditRestrictions? {
        let (list, action) = state.withLock { ($0.list, $0.action) }
        return list.map { CreditRestrictions(list: $0, action: action) }
    }

    /// Applies `settings` of a config just loaded: a file's list replaces the one in force; a
    /// `url` keeps the one in force (its kept copy at start) and is fetched at once. A list
    /// that is not the fetched one (a file's, or none) forgets the fetch's validators, so that
    /// the next fetch is not answered 304 for a copy no longer in force.
    func apply(_ settings: DaemonConfig.CreditSettings?) {
        let fetched = state.withLock {
            $0.action = settings?.action ?? .block
            switch settings?.source {
            case nil: $0.list = nil
            case let .file(_, fileList): $0.list = fileList
            case .url: return true
            }
            return false
        }
        if fetched { wake.signal() } else { fetches.dropped() }
    }

    /// Swaps in a list fetched (or read from the kept copy).
    func replace(_ fetched: CreditList) { state.withLock { $0.list = fetched } }

    /// The `status` warnings: a failing fetch, or no list yet although one is configured.
    func warnings(_ settings: DaemonConfig.CreditSettings?) -> [Bilingual] {
        guard case let .url(url)? = settings?.source else { return [] }
        let inForce = state.withLock { $0.list }
        if let failure = fetches.current.outcome.failing {
            let at = failure.at.formatted(.iso8601)
            return [
                Bilingual(
                    "credit list fetch from \(url) failed at \(at): \(failure.why); "
                        + (inForce.map { "the last good list (\($0.reasons.count) entries) stays in force" }
                            ?? "no list yet, no party is screened"),
                    "\(at) 从 \(url) 下载信用惩戒名单失败：\(failure.why)；"
                        + (inForce.map { "继续使用上次的名单（\($0.reasons.count) 条）" } ?? "尚无名单，未筛查当事人"))
            ]
        }
        guard inForce == nil else { return [] }
        return [Bilingual("no credit list fetched yet from \(url): no party is screened", "尚未从 \(url) 取得信用惩戒名单：未筛查当事人")]
    }
}

/// Keeps a `[policy.credit] url` list current: fetched through libcurl at start, every
/// `refresh` and after a reload, as a conditional GET; admitted only if every line parses
/// (`CreditList.parse`); kept durably as the last good copy (`StateLayout.creditListCopy`, read
/// at start) and swapped in without a restart. A failed fetch or a refused list keeps the one in
/// force and is reported in `status`, the log and the recent errors.
struct CreditListService: Service {
    let authority: Authority
    /// Largest list accepted: a national list of some hundred thousand entries is a few MiB.
    static let maxBytes = 16 << 20

    func run() async throws {
        await authority.credit.wake.repeatUntilShutdown {
            let settings = authority.config.credit
            if case let .url(url)? = settings?.source { await refresh(url) }
            return settings?.refresh
        }
    }

    /// The last good copy kept in the state directory, read at start; nil when there is none or
    /// it no longer parses, which is logged.
    static func keptCopy(layout: StateLayout, logger: Logger) -> CreditList? {
        let path = layout.creditListCopy.path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try CreditList.parse(String(decoding: try FileIO.readAll(path, limit: maxBytes), as: UTF8.self), source: path)
        } catch {
            logger.error("the kept credit list cannot be read; waiting for a fetch", metadata: ["file": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    /// One conditional fetch of `url`, and the admission of what it brought.
    func refresh(_ url: String) async {
        let started = Date()
        let fetches = authority.credit.fetches
        let response: PeerResponse
        do {
            response = try await authority.operations.client.send(
                PeerRequest(
                    method: .get, url: url, peer: .publisherOfSignedObjects, headers: fetches.conditionalHeaders(url: url),
                    sink: .memory(limit: Self.maxBytes)))
        } catch {
            return fail("\(error)")
        }
        if response.status == 304, authority.credit.restrictions != nil { return fetches.succeeded(at: started) }
        guard response.status == 200 else { return fail("HTTP \(response.status)") }
        let list: CreditList
        do throws(CreditListError) {
            list = try CreditList.parse(String(decoding: response.body, as: UTF8.self), source: url)
        } catch {
            return fail("refused: \(error)")
        }
        if list != authority.credit.restrictions?.list {
            do {
                try await authority.writeDurably(response.body, to: authority.layout.creditListCopy, mode: 0o644)
            } catch {
                return fail("the credit list could not be kept: \(error)")
            }
            authority.credit.replace(list)
            authority.logger.info("credit list refreshed", metadata: ["url": "\(url)", "entries": "\(list.reasons.count)"])
        }
        fetches.validators(url: url, etag: response.headers["etag"], lastModified: response.headers["last-modified"])
        fetches.succeeded(at: started)
    }

    private func fail(_ why: String) {
        authority.logger.warning("credit list refresh failed, keeping the list in force", metadata: ["error": "\(why)"])
        authority.errors.record(id: nil, peer: nil, error: "credit list: \(why)")
        authority.credit.fetches.failed(why)
    }
}
