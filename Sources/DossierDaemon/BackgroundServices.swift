import Foundation
import Logging
import ServiceLifecycle

/// Compacts the outbox journal periodically, so its size stays proportional to live entries,
/// after keeping the finished entries it forgets in the history (`TransferHistory`).
struct CompactionService: Service {
    let authority: Authority

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.authority.config.compactionInterval)) }
            guard !Task.isShuttingDownGracefully else { return }
            // What compaction forgets is kept first; while it cannot be, the journal keeps it.
            guard await authority.keepHistory() else { continue }
            do { try await authority.outbox.compact() } catch {
                authority.logger.error("journal compaction failed", metadata: ["error": "\(error)"])
                authority.errors.record(id: nil, peer: nil, error: "compaction: \(error)")
            }
        }
    }
}

/// systemd's watchdog and status line: `WATCHDOG=1` at half of `WATCHDOG_USEC`, `STATUS=` with
/// the queue summary, and `STOPPING=1` as soon as a graceful shutdown starts.
struct WatchdogService: Service {
    let authority: Authority
    let notifier: SystemdNotifier

    func run() async throws {
        let period = SystemdNotifier.watchdogInterval().map { $0 / 2 } ?? 10
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                try? await gracefulShutdown()
                notifier.stopping()
            }
            group.addTask {
                while !Task.isShuttingDownGracefully && !Task.isCancelled {
                    let summary = await authority.outbox.summary()
                    let waiting = [
                        ("queued", summary.byState[.queued] ?? 0), ("deferred", summary.byState[.deferred] ?? 0),
                        ("sending", summary.byState[.sending] ?? 0), ("dead", summary.byState[.dead] ?? 0),
                    ]
                    notifier.status(waiting.map { "\($0.0) \($0.1)" }.joined(separator: ", ") + "; listening \(authority.listen)")
                    notifier.watchdog()
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(period)) }
                }
            }
            await group.waitForAll()
        }
    }
}
