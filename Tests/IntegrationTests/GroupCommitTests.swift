import DossierSystem
import DossierTestSupport
import Foundation
import Testing

/// `GroupCommit` on its own: every item gets its own outcome once, and a trickle of items
/// reuses one thread, which ends after lingering.
@Suite struct GroupCommitTests {
    struct Odd: Error {}

    /// Commits fail for odd items, so each caller can tell its own outcome from a neighbour's.
    static func committer() -> GroupCommit<Int, Odd> {
        GroupCommit(threadName: "test-commit") { items in items.map { $0 % 2 == 0 ? .success(()) : .failure(Odd()) } }
    }

    @Test func everyItemGetsItsOwnOutcomeOnceUnderConcurrentSubmitters() async {
        let committer = Self.committer()
        let wrong = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var wrong = 0
                    for index in 0..<200 {
                        let item = task * 1000 + index
                        let outcome = await committer.submit(item)
                        if (try? outcome.get()) != nil ? item % 2 != 0 : item % 2 == 0 { wrong += 1 }
                        if index % 50 == 0 { try? await Task.sleep(for: .milliseconds(20)) }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(wrong == 0)
        #expect(committer.batchCount <= 1600)
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
