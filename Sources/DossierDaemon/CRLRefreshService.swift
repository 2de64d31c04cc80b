import DossierArchive
import DossierSystem
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Keeps the CRLs of `tls.crl_urls` current: each URL is fetched through libcurl at start,
/// every `tls.crl_refresh` and after a reload that changed the URLs, admitted only if one of the trust anchors signed it and it is
/// current and not older than the one in force (`TrustStore.admit`), kept durably as the last
/// good copy, and swapped into the one trust in force (inbound and outbound TLS, archives,
/// receipts) without a restart. A failed fetch or a refused CRL keeps the last good copy and
/// is reported in `status`, the log and the recent errors.
struct CRLRefreshService: Service {
    let authority: Authority
    /// Largest CRL accepted: a national CA's CRL is some megabytes at most.
    static let maxBytes = 32 << 20

    func run() async throws {
        await authority.crlWake.repeatUntilShutdown {
            await refreshAll()
            return authority.config.crlRefresh
        }
    }

    /// One round over every URL; the trust is rebuilt once if any copy changed, or if a rebuild
    /// failed before (a copy kept is not in force until one succeeds, whether or not the CRL
    /// changes again).
    func refreshAll() async {
        let config = authority.config
        var changed = authority.crlFetches.trustBehind
        for url in config.crlURLs where await refresh(url) { changed = true }
        guard changed else { return }
        do {
            authority.operations.trust.replace(try Daemon.trustStore(config))
            authority.crlFetches.trustBehind = false
            // The directory in force is judged again under the new CRLs (`DirectoryRefreshService`).
            if config.directory != nil { authority.directoryWake.signal() }
        } catch {
            authority.crlFetches.trustBehind = true
            fail(url: nil, "the trust store could not be rebuilt with the new CRLs, keeping the one in force: \(error)")
        }
    }

    /// Fetches, admits and keeps the CRL of `url`; whether its last good copy changed.
    private func refresh(_ url: String) async -> Bool {
        let started = Date()
        let response: PeerResponse
        do {
            response = try await authority.operations.client.send(
                PeerRequest(method: .get, url: url, peer: .publisherOfSignedObjects, sink: .memory(limit: Self.maxBytes)))
        } catch {
            fail(url: url, "\(error)")
            return false
        }
        guard response.status == 200 else {
            fail(url: url, "HTTP \(response.status)")
            return false
        }
        switch authority.operations.trust.store.admit(revocationList: response.body) {
        case let .failure(refusal):
            fail(url: url, "refused: \(refusal)")
            return false
        case let .success((pem, list)):
            let file = authority.layout.fetchedCRL(url)
            let unchanged = (try? FileIO.readAll(file.path, limit: Self.maxBytes * 2)) == pem
            if !unchanged {
                do {
                    try await authority.writeDurably(pem, to: file, mode: 0o644)
                } catch {
                    fail(url: url, "the CRL could not be kept: \(error)")
                    return false
                }
                authority.logger.info(
                    "CRL refreshed",
                    metadata: [
                        "url": "\(url)", "issuer": "\(list.issuer)", "revoked": "\(list.revokedCount)",
                        "next_update": "\(list.nextUpdate.map { $0.formatted(.iso8601) } ?? "-")",
                    ])
            }
            authority.crlFetches.succeeded(url: url, at: started)
            return !unchanged
        }
    }

    private func fail(url: String?, _ why: String) {
        authority.logger.warning("CRL refresh failed, keeping the last good CRL", metadata: ["url": "\(url ?? "-")", "error": "\(why)"])
        authority.errors.record(id: nil, peer: nil, error: "CRL \(url ?? ""): \(why)")
        if let url { authority.crlFetches.failed(url: url, why) }
    }
}

/// The last outcome of each CRL URL's fetch, for `status`. Thread-safe.
final class CRLFetches: Sendable {
    private let fetches = Mutex<[String: FetchOutcome]>([:])
    private let behind = Mutex(false)

    /// A CRL copy was kept that the trust in force was not rebuilt with (the rebuild failed).
    var trustBehind: Bool {
        get { behind.withLock { $0 } }
        set { behind.withLock { $0 = newValue } }
    }

    func succeeded(url: String, at: Date) { fetches.withLock { $0[url, default: FetchOutcome()].lastSuccess = at } }

    func failed(url: String, _ why: String, at: Date = Date()) {
        fetches.withLock { $0[url, default: FetchOutcome()].lastFailure = (at, why) }
    }

    subscript(url: String) -> FetchOutcome { fetches.withLock { $0[url] ?? FetchOutcome() } }
}
