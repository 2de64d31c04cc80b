import DossierArchive
import Foundation
import Metrics

/// The daemon's Prometheus metrics (through swift-metrics), named once here so every service
/// reports under the same names and labels.
struct DaemonMetrics: Sendable {
    /// Push attempts by peer and outcome (delivered, rejected, refused, retry, bad-receipt, network, tls, timeout).
    func transfer(peer: String, outcome: String, bytes: UInt64, seconds: Double) {
        Counter(label: "dossierd_transfers_total", dimensions: [("peer", peer), ("outcome", outcome)]).increment()
        if bytes > 0 {
            Counter(label: "dossierd_transfer_bytes_total", dimensions: [("peer", peer), ("direction", "out")]).increment(by: Int64(bytes))
        }
        Timer(label: "dossierd_transfer_seconds", dimensions: [("peer", peer)], preferredDisplayUnit: .seconds)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    /// Archives rejected on receipt with this reason code, all time.
    func verificationFailures(code: String, count: Int) {
        Gauge(label: "dossierd_verification_failures", dimensions: [("reason", code)]).record(count)
    }

    /// Journal group commits since the daemon started.
    func journalSyncs(_ count: Int) {
        Gauge(label: "dossierd_journal_syncs").record(count)
    }

    /// Outbox entries by state, sampled.
    func queueDepth(state: String, count: Int) {
        Gauge(label: "dossierd_queue_depth", dimensions: [("state", state)]).record(count)
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

    /// Seconds until the nextUpdate of the directory in force (negative: stale).
    func directory(nextUpdate: Date, now: Date = Date()) {
        Gauge(label: "dossierd_directory_next_update_seconds").record(nextUpdate.timeIntervalSince(now))
    }
}
