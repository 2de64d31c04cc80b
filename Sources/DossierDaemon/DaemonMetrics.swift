import DossierArchive
import Foundation
import Metrics

/// The daemon's Prometheus metrics (through swift-metrics), named once here so every service
/// reports under the same names and labels.
struct DaemonMetrics: Sendable {
    /// Push attempts by peer and outcome (`DeliveryOutcome.metricLabel`, or delivered).
    func transfer(peer: String, outcome: String, bytes: UInt64, seconds: Double) {
        Counter(label: "dossierd_transfers_total", dimensions: [("peer", peer), ("outcome", outcome)]).increment()
        if bytes > 0 {
            Counter(label: "dossierd_transfer_bytes_total", dimensions: [("peer", peer), ("direction", "out")]).increment(by: Int64(bytes))
        }
        Timer(label: "dossierd_transfer_seconds", dimensions: [("peer", peer)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// One request to the peer server, by HTTP version ("1.1", "2").
    func peerRequest(httpVersion: String) {
        Counter(label: "dossierd_peer_requests_total", dimensions: [("http", httpVersion)]).increment()
    }

    /// Archives rejected on receipt with this reason code, all time.
    func verificationFailures(code: String, count: Int) {
        Gauge(label: "dossierd_verification_failures", dimensions: [("reason", code)]).record(count)
    }

    /// Journal group commits since the daemon started.
    func journalSyncs(_ count: Int) {
        Gauge(label: "dossierd_journal_syncs").record(count)
    }

    /// Completion notices signed here that the archive's origin has not recorded yet.
    func completionsUndelivered(_ count: Int) {
        Gauge(label: "dossierd_completions_undelivered").record(count)
    }

    /// The inbox's group commits since the daemon started: the syncs they made and the
    /// archives they accepted (syncs per accepted push: four before group commit, three per
    /// group now).
    func inboxCommits(syncs: Int, accepted: Int) {
        Gauge(label: "dossierd_inbox_commit_syncs").record(syncs)
        Gauge(label: "dossierd_inbox_accepted_commits").record(accepted)
    }

    /// Outbox entries by state, sampled.
    func queueDepth(state: String, count: Int) {
        Gauge(label: "dossierd_queue_depth", dimensions: [("state", state)]).record(count)
    }

    /// Outbox entries for one destination in one state, sampled.
    func peerQueueDepth(peer: String, state: String, count: Int) {
        Gauge(label: "dossierd_peer_queue_depth", dimensions: [("peer", peer), ("state", state)]).record(count)
    }

    /// Archives in the inbox and quarantine index by status (`accepted`, `rejected`), sampled.
    func inboxArchives(status: String, count: Int) {
        Gauge(label: "dossierd_inbox_archives", dimensions: [("status", status)]).record(count)
    }

    /// For each CRL issuer, the newest CRL in force: seconds until its nextUpdate (negative:
    /// stale) and seconds since its thisUpdate.
    func revocationLists(_ lists: [RevocationList], now: Date = Date()) {
        for list in Dictionary(grouping: lists, by: \.issuer).values.compactMap({ $0.max { $0.thisUpdate < $1.thisUpdate } }) {
            let next = list.nextUpdate.map { $0.timeIntervalSince(now) } ?? -now.timeIntervalSince(list.thisUpdate)
            Gauge(label: "dossierd_crl_next_update_seconds", dimensions: [("issuer", list.issuer)]).record(next)
            Gauge(label: "dossierd_crl_age_seconds", dimensions: [("issuer", list.issuer)]).record(now.timeIntervalSince(list.thisUpdate))
        }
    }

    /// One request to the time-stamping authority: its latency, and a failure by kind
    /// (`unreachable`, `rejected`, `bad-response`).
    func timestampRequest(seconds: Double, failure: String?) {
        Timer(label: "dossierd_tsa_request_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(Int64(seconds * 1e9))
        if let failure { Counter(label: "dossierd_tsa_failures_total", dimensions: [("reason", failure)]).increment() }
    }

    /// Age of the oldest archive still waiting for delivery (queued, deferred or sending); 0
    /// when none waits.
    func queueOldestWaiting(seconds: Double) {
        Gauge(label: "dossierd_queue_oldest_waiting_seconds").record(seconds)
    }

    /// 1 while the peer's circuit is open (one probe at a time), else 0.
    func peerCircuitOpen(peer: String, open: Bool) {
        Gauge(label: "dossierd_peer_circuit_open", dimensions: [("peer", peer)]).record(open ? 1 : 0)
    }

    /// Seconds until a certificate's notAfter, negative once passed. `certificate` is `tls` for
    /// this authority's own certificate, `anchor <CN> <fingerprint prefix>` for a trust anchor.
    func certificateExpiry(certificate: String, seconds: Double) {
        Gauge(label: "dossierd_certificate_expiry_seconds", dimensions: [("certificate", certificate)]).record(seconds)
    }

    /// Free bytes of the state directory's file system and the configured reserve
    /// (`state.free_space_reserve`).
    func disk(free: UInt64, reserve: UInt64) {
        Gauge(label: "dossierd_disk_free_bytes").record(Double(free))
        Gauge(label: "dossierd_disk_reserve_bytes").record(Double(reserve))
    }

    /// Seconds until the nextUpdate of the directory in force (negative: stale).
    func directory(nextUpdate: Date, now: Date = Date()) {
        Gauge(label: "dossierd_directory_next_update_seconds").record(nextUpdate.timeIntervalSince(now))
    }
}
