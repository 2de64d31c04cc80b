import DossierSystem
import DossierTestSupport
import Foundation
import Synchronization
import Testing

/// `GroupCommit` on its own: every item gets its own outcome once, and a trickle of items
/// reuses one thread, which ends after lingering.
@Suite struct GroupCommitTests {
    struct Odd: Error {}

    /// Commits fail for odd items, so each caller can tell its own outcome from a neighbour's.
    static func committer(threads: ThreadStarter = .system) -> GroupCommit<Int, Odd> {
        GroupCommit(threadName: "test-commit", threads: threads) { items in
            items.map { $0 % 2 == 0 ? .success(()) : .failure(Odd()) }
        }
    }

    /// Eight tasks submitting `count` items each (pausing 20 ms after every `pauseEvery`th):
    /// how many outcomes were not their own item's.
    static func wrongOutcomes(_ committer: GroupCommit<Int, Odd>, count: Int, pauseEvery: Int = .max) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for index in 0..<count {
                        let item = task * 1000 + index
                        let outcome = await committer.submit(item)
                        if (try? outcome.get()) != nil ? item % 2 != 0 : item % 2 == 0 { wrong += 1 }
                        if index % pauseEvery == 0 { try? await Task.sleep(for: .milliseconds(20)) }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
    }

    @Test func everyItemGetsItsOwnOutcomeOnceUnderConcurrentSubmitters() async {
        let committer = Self.committer()
        #expect(await Self.wrongOutcomes(committer, count: 200, pauseEvery: 50) == 0)
        #expect(committer.batchCount <= 1600)
    }

    /// At the thread limit the submitters commit for themselves: every item still gets its own
    /// outcome, none waits for a thread that never comes (watched from outside, so that a
    /// submitter left waiting fails the test instead of hanging it).
    @Test func withoutAThreadSubmittersCommitThemselves() async throws {
        let committer = Self.committer(threads: .exhausted)
        let wrong = Mutex<Int?>(nil)
        Task {
            let count = await Self.wrongOutcomes(committer, count: 50)
            let blocking = (try? committer.submitAndWait(2).get()) != nil ? 0 : 1
            wrong.withLock { $0 = count + blocking }
        }
        try #require(try await eventually(seconds: 60) { wrong.withLock { $0 } != nil }, "a submitter still waits for a thread")
        #expect(wrong.withLock { $0 } == 0)
        #expect(committer.threadStarts == 0 && committer.batchCount >= 1)
    }

    @Test func aTrickleOfItemsReusesOneThreadThatEndsAfterLingering() async throws {
        let committer = Self.committer()
        // Blocking calls, on threads of their own rather than the cooperative pool, which the
        // rest of the suite may keep busy: one item at a time, 5 ms apart, as uploads ending
        // one by one do.
        let (started, after) = try await withTaskExecutorPreference(ServerThreads.shared) {
            for item in 0..<20 {
                _ = committer.submitAndWait(item * 2)
                usleep(5_000)
            }
            let started = committer.threadStarts
            usleep(1_000_000)
            try committer.submitAndWait(4).get()
            return (started, committer.threadStarts)
        }
        #expect(committer.batchCount == 21)
        // Without the linger the thread ends before each next item comes: a start per item.
        // (More than one only if a 5 ms sleep overslept the 50 ms linger.)
        #expect(started <= 3, "\(started) threads for 20 items one at a time")
        #expect(after == started + 1, "the thread ended after lingering")
    }
}
