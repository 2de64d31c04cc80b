import Foundation
import ServiceLifecycle
import Synchronization

/// Lets one waiting loop sleep until someone signals new work or a deadline passes. A signal
/// sent while nobody waits is remembered (once), so no wake-up is lost between a check and a
/// wait. For a single waiter at a time; `signal` may be called from anywhere.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Wakes the waiter, or the next one.
    func signal() {
        let toResume = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        toResume?.resume()
    }

    /// Returns when signalled, after `timeout` seconds, or when the task is cancelled.
    func wait(timeout: TimeInterval) async {
        let ticket = state.withLock { state -> UInt64? in
            if state.pending {
                state.pending = false
                return nil
            }
            state.generation += 1
            return state.generation
        }
        guard let ticket else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(max(0.001, timeout)))
            self?.expire(ticket)
        }
        // A cancelled task (a graceful shutdown) returns at once, however long the timeout.
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if state.generation != ticket { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            expire(ticket)
        }
        timer.cancel()
    }

    private func expire(_ ticket: UInt64) {
        let toResume = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.generation == ticket else { return nil }
            state.generation += 1
            defer { state.waiter = nil }
            return state.waiter
        }
        toResume?.resume()
    }
}

extension WakeSignal {
    /// Runs `round` until a graceful shutdown or cancellation: at once, then each time this
    /// signal fires or the seconds `round` returned have passed (an hour when it returns nil).
    func repeatUntilShutdown(_ round: () async -> TimeInterval?) async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let interval = await round() ?? 3600
            await cancelWhenGracefulShutdown { await self.wait(timeout: interval) }
        }
    }
}
