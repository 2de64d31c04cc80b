import DossierOutbox
import DossierSystem
import Foundation

extension DaemonMetrics {
    /// Records the gauges read at scrape time (on the admin socket and on
    /// `admin.metrics_listen` alike): outbox depth by state, and by destination and state, and
    /// its oldest waiting entry, each configured peer's circuit, journal syncs, the inbox's
    /// group-commit syncs and accepted archives, the archives in the inbox by status, archives
    /// rejected on receipt by reason code (from the inbox's durable index, so they survive
    /// restarts), the expiry of this authority's certificate and of every trust anchor, each CRL
    /// issuer's next update, the state disk's free space against its reserve, the open and
    /// overdue transfer cases, and completion notices not yet recorded by their origin.
    func sample(_ authority: Authority, now: Date = Date()) async {
        let summary = await authority.outbox.summary(now: now)
        for state in OutboxState.allCases { queueDepth(state: state.description, count: summary.byState[state] ?? 0) }
        // Every configured peer, and any other destination still in the journal, in every state:
        // a series that drops to zero is recorded as zero, not left at its last value.
        for peer in Set(authority.config.peers.map(\.code)).union(summary.byDestination.keys) {
            for state in OutboxState.allCases {
                peerQueueDepth(peer: peer, state: state.description, count: summary.byDestination[peer]?[state] ?? 0)
            }
        }
        queueOldestWaiting(seconds: summary.oldestWaitingAge ?? 0)
        let config = authority.config
        for peer in config.peers { peerCircuitOpen(peer: peer.code, open: summary.openCircuits.contains(peer.code)) }
        journalSyncs(authority.outbox.journalSyncs)
        completionsUndelivered(authority.completions.undelivered)
        inboxCommits(syncs: authority.inbox.commitSyncs, accepted: authority.inbox.acceptedCommits)
        revocationLists(authority.operations.trust.store.revocationLists, now: now)
        if let directory = authority.directory { self.directory(nextUpdate: directory.nextUpdate, now: now) }
        var reasons: [String: Int] = [:]
        let inbox = authority.inbox.entries()
        for entry in inbox where entry.status == .rejected {
            for finding in entry.reasons { reasons[finding.code, default: 0] += 1 }
        }
        inboxArchives(status: "accepted", count: inbox.count { $0.status == .accepted })
        inboxArchives(status: "rejected", count: inbox.count { $0.status == .rejected })
        for (code, count) in reasons { verificationFailures(code: code, count: count) }
        if let cases = try? await authority.cases.cases(authority, now: now) { self.cases(cases) }
        if let notAfter = authority.identity.info.notAfter {
            certificateExpiry(certificate: "tls", seconds: notAfter.timeIntervalSince(now))
        }
        for anchor in authority.operations.trust.store.anchors {
            guard let notAfter = anchor.notAfter else { continue }
            let name = anchor.commonName ?? anchor.subject
            certificateExpiry(certificate: "anchor \(name) \(anchor.fingerprint.prefix(8))", seconds: notAfter.timeIntervalSince(now))
        }
        if let free = try? FreeSpace.available(at: authority.layout.root.path) {
            disk(free: free, reserve: config.storage.freeSpaceReserve)
        }
    }
}
