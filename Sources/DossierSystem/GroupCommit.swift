import Foundation
import Synchronization

/// Group commit for work that ends in a sync: callers hand over items, one thread of the
/// committer's own takes every item pending at once and runs `commit` on the whole batch, then
/// answers each caller with its item's outcome. The syncs inside `commit` are thus shared by
/// everyone who arrived while the previous batch was being committed.
///
/// A lone caller is never held up: the thread starts when the first item arrives and commits
/// it at once; items arriving meanwhile form the next batch. The thread ends when nothing is
/// pending, so an idle committer holds no thread.
///
/// **Thread-safety.** Any number of tasks or threads may submit at once. `commit` runs on one
/// thread at a time, on batches in the order their items were submitted.
///
/// **Memory.** Items wait in memory until their batch is committed; callers bound how many are
/// in flight (the inbox: its upload slots and the blocking pool).
public final class GroupCommit<Item: Sendable, Failure: Error>: Sendable {
    /// What one item's commit came to.
    public typealias Outcome = Result<Void, Failure>
    private typealias Reply = @Sendable (Outcome) -> Void

    private struct State {
        var pending: [(item: Item, reply: Reply)] = []
        /// The committing thread runs; it ends when it finds nothing pending.
        var running = false
    }

    private let state = Mutex(State())
    private let threadName: String
    private let commit: @Sendable ([Item]) -> [Outcome]
    private let batches = Atomic<Int>(0)

    /// A committer whose thread (named `threadName`) runs `commit`, which must return one
    /// outcome per item, in the items' order.
    public init(threadName: String, commit: @escaping @Sendable ([Item]) -> [Outcome]) {
        self.threadName = threadName
        self.commit = commit
    }

    /// Batches committed so far.
    public var batchCount: Int { batches.load(ordering: .relaxed) }

    /// Commits `item` with whatever else is pending; returns once its batch is committed.
    /// Never blocks a thread of the cooperative pool.
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

    private func enqueue(_ item: Item, reply: @escaping Reply) {
        let start = state.withLock { state in
            state.pending.append((item, reply))
            defer { state.running = true }
            return !state.running
        }
        guard start else { return }
        let thread = Thread { [self] in drain() }
        thread.name = threadName
        thread.start()
    }

    /// Commits batches until nothing is pending, then ends the thread. Deciding to end happens
    /// under the same lock as `enqueue`'s check, so no item is left without a thread.
    private func drain() {
        while true {
            let batch = state.withLock { state in
                defer { state.pending.removeAll(keepingCapacity: true) }
                if state.pending.isEmpty { state.running = false }
                return state.pending
            }
            guard !batch.isEmpty else { return }
            let outcomes = commit(batch.map(\.item))
            precondition(outcomes.count == batch.count, "\(threadName): commit answered \(outcomes.count) of \(batch.count) items")
            batches.add(1, ordering: .relaxed)
            for (waiter, outcome) in zip(batch, outcomes) { waiter.reply(outcome) }
        }
    }
}
