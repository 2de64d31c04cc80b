import Foundation
import Synchronization

/// Group commit for work that ends in a sync: callers hand over items, one thread of the
/// committer's own takes every item pending at once and runs `commit` on the whole batch, then
/// answers each caller with its item's outcome. The syncs inside `commit` are thus shared by
/// everyone who arrived while the previous batch was being committed.
///
/// A lone caller is never held up: the thread starts when the first item arrives and commits
/// it at once; items arriving meanwhile form the next batch. When nothing is pending the thread
/// waits up to `linger` for more and then ends, so an idle committer holds no thread, and a
/// steady trickle of single items (uploads ending one at a time) does not start a thread per
/// batch (the receiver under `push-load`: 1,500 thread starts per 1,000 pushes before, this
/// committer's among them; 770–800 after, `perf stat`).
///
/// **Thread-safety.** Any number of tasks or threads may submit at once. `commit` runs on one
/// thread at a time, on batches in the order their items were submitted.
///
/// **Without a thread.** When no thread can be had (the process or its user at the limit),
/// the submitter whose item found none running commits the pending batches itself, with no
/// lingering, and the next first item tries for a thread again: slower, never stuck.
///
/// **Memory.** Items wait in memory until their batch is committed; callers bound how many are
/// in flight (the inbox: its upload slots and the blocking pool).
public final class GroupCommit<Item: Sendable, Failure: Error>: Sendable {
    /// What one item's commit came to.
    public typealias Outcome = Result<Void, Failure>
    private typealias Reply = @Sendable (Outcome) -> Void

    private struct State {
        var pending: [(item: Item, reply: Reply)] = []
        /// The committing thread runs; it ends when it finds nothing pending after lingering.
        var running = false
        /// The thread waits on `wake` for items; the `enqueue` that clears this signals it.
        var idle = false
    }

    /// How long the thread waits for more items before it ends.
    private static var linger: DispatchTimeInterval { .milliseconds(50) }

    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let threadName: String
    private let threads: ThreadStarter
    private let commit: @Sendable ([Item]) -> [Outcome]
    private let batches = Atomic<Int>(0)
    private let starts = Atomic<Int>(0)

    /// A committer whose thread (named `threadName`, from `threads`) runs `commit`, which must
    /// return one outcome per item, in the items' order.
    public init(threadName: String, threads: ThreadStarter = .system, commit: @escaping @Sendable ([Item]) -> [Outcome]) {
        self.threadName = threadName
        self.threads = threads
        self.commit = commit
    }

    /// Batches committed so far.
    public var batchCount: Int { batches.load(ordering: .relaxed) }

    /// Committing threads started so far.
    public var threadStarts: Int { starts.load(ordering: .relaxed) }

    /// Commits `item` with whatever else is pending; returns once its batch is committed.
    /// Never blocks a thread of the cooperative pool, unless no committing thread can be had:
    /// then the caller commits (see "Without a thread").
    public func submit(_ item: Item) async -> Outcome {
        await withCheckedContinuation { (done: CheckedContinuation<Outcome, Never>) in
            enqueue(item) { done.resume(returning: $0) }
        }
    }

    /// `submit` for a caller on a thread that may block (the daemon's blocking pool): waits on
    /// a semaphore until the item's batch is committed.
    public func submitAndWait(_ item: Item) -> Outcome {
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Outcome?>(nil)
        enqueue(item) { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        // The reply stores the outcome before it signals, so it is there.
        return outcome.withLock { $0 }!
    }

    private enum Nudge { case start, wake, none }

    private func enqueue(_ item: Item, reply: @escaping Reply) {
        let nudge = state.withLock { state -> Nudge in
            state.pending.append((item, reply))
            if !state.running {
                state.running = true
                return .start
            }
            guard state.idle else { return .none }
            state.idle = false
            return .wake
        }
        switch nudge {
        case .start:
            do throws(SystemError) {
                try threads.start(named: threadName) { [self] in drain(lingering: true) }
                starts.add(1, ordering: .relaxed)
            } catch {
                drain(lingering: false)
            }
        case .wake: wake.signal()
        case .none: break
        }
    }

    /// Commits batches while items come, lingering `linger` for more when none are pending (on
    /// its own thread; not on a submitter's, `lingering` false), then ends. Deciding to end
    /// happens under the same lock as `enqueue`'s check, so no item is left without a thread;
    /// a `wake` signal is always consumed by the thread it was meant for.
    private func drain(lingering: Bool) {
        var lingered = !lingering
        while true {
            let batch = state.withLock { state -> [(item: Item, reply: Reply)]? in
                if state.pending.isEmpty {
                    if lingered {
                        state.running = false
                        return nil
                    }
                    state.idle = true
                    return []
                }
                defer { state.pending.removeAll(keepingCapacity: true) }
                return state.pending
            }
            guard let batch else { return }
            if batch.isEmpty {
                lingered = wake.wait(timeout: .now() + Self.linger) == .timedOut
                if lingered && signalOnItsWay() { wake.wait() }
                continue
            }
            lingered = !lingering
            let outcomes = commit(batch.map(\.item))
            precondition(outcomes.count == batch.count, "\(threadName): commit answered \(outcomes.count) of \(batch.count) items")
            batches.add(1, ordering: .relaxed)
            for (waiter, outcome) in zip(batch, outcomes) { waiter.reply(outcome) }
        }
    }

    /// After a linger timed out: true when an `enqueue` cleared `idle` meanwhile, so its signal
    /// is on its way and must be consumed; the thread is not idle either way.
    private func signalOnItsWay() -> Bool {
        state.withLock { state in
            let cleared = !state.idle
            state.idle = false
            return cleared
        }
    }
}
