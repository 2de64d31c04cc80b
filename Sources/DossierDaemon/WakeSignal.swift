import Foundation

/// Lets one waiting loop sleep until someone signals new work or a deadline passes. A signal
/// sent while nobody waits is remembered (once), so no wake-up is lost between a check and a
/// wait. For a single waiter at a time; `signal` may be called from anywhere.
final class WakeSignal: @unchecked Sendable {
    // Safe: `pending`, `waiter` and `generation` are only touched under `lock`.
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?
    private var generation: UInt64 = 0

    /// Wakes the waiter, or the next one.
    func signal() {
        let toResume = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            guard let waiter else { pending = true; return nil }
            self.waiter = nil
            return waiter
        }
        toResume?.resume()
    }

    /// Returns when signalled or after `timeout` seconds.
    func wait(timeout: TimeInterval) async {
        let ticket = lock.withLock { () -> UInt64? in
            if pending { pending = false; return nil }
            generation += 1
            return generation
        }
        guard let ticket else { return }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: .seconds(max(0.001, timeout)))
            self?.expire(ticket)
        }
        await withCheckedContinuation { continuation in
            let resumeNow = lock.withLock { () -> Bool in
                if pending { pending = false; return true }
                if generation != ticket { return true }
                waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
        timer.cancel()
    }

    private func expire(_ ticket: UInt64) {
        let toResume = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            guard generation == ticket else { return nil }
            generation += 1
            defer { waiter = nil }
            return waiter
        }
        toResume?.resume()
    }
}
