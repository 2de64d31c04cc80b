@testable import DossierOutbox
import Foundation
import PropertyBased
import Testing

private let policies = zip(Gen.double(in: 0.1...100), Gen.double(in: 1...4), Gen.double(in: 1...20_000)).map {
    RetryPolicy(firstDelay: $0.0, factor: $0.1, cap: $0.2)
}

@Test func theCeilingStartsAtTheFirstDelayGrowsMonotonicallyAndStaysUnderTheCap() async {
    await propertyCheck(count: 300, input: policies, Gen.int(in: 1...200)) { policy, failures in
        #expect(policy.ceiling(afterFailures: 1) == min(policy.cap, policy.firstDelay))
        let here = policy.ceiling(afterFailures: failures)
        #expect(here <= policy.cap)
        #expect(here <= policy.ceiling(afterFailures: failures + 1))
        #expect(here >= min(policy.cap, policy.firstDelay))
    }
}

@Test func jitteredDelaysStayWithinZeroAndTheCeilingAndSpanIt() async {
    await propertyCheck(count: 100, input: policies, Gen.int(in: 1...30), Gen.uint64(in: 0...UInt64.max)) {
        policy, failures, seed in
        var generator = SplitMix(seed: seed)
        let ceiling = policy.ceiling(afterFailures: failures)
        let delays = (0..<500).map { _ in policy.delay(afterFailures: failures, retryAfter: nil, using: &generator) }
        #expect(delays.allSatisfy { $0 >= 0 && $0 <= ceiling })
        #expect((delays.min() ?? ceiling) < 0.1 * ceiling, "full jitter reaches near zero")
        #expect((delays.max() ?? 0) > 0.9 * ceiling, "full jitter reaches near the ceiling")
    }
}

@Test func retryAfterIsHonouredUpToTheCap() async {
    await propertyCheck(count: 300, input: policies, Gen.int(in: 1...30), Gen.double(in: 0...100_000)) {
        policy, failures, retryAfter in
        var generator = SplitMix(seed: UInt64(failures))
        let delay = policy.delay(afterFailures: failures, retryAfter: retryAfter, using: &generator)
        // Honoured up to the cap: a peer cannot park an entry longer than the backoff would.
        let asked = min(retryAfter, policy.cap)
        #expect(delay >= asked)
        #expect(delay <= max(asked, policy.ceiling(afterFailures: failures)))
    }
}

@Test func decisionsGiveUpOnPermanentOutcomesAndOldEntries() async {
    await propertyCheck(count: 300, input: Gen.int(in: 100...599), Gen.double(in: 0...(100 * 3600))) { code, age in
        let policy = RetryPolicy()
        var generator = SplitMix(seed: UInt64(code))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let outcome = DeliveryOutcome.httpStatus(code, retryAfter: nil)
        let retryable = code == 408 || code == 429 || (500...599).contains(code)
        #expect(outcome.isRetryable == retryable)
        let decision = policy.decide(
            outcome: outcome, failures: 1, createdAt: now.addingTimeInterval(-age), now: now, using: &generator)
        if retryable && age < policy.giveUpAfter {
            guard case .retry(let at) = decision else {
                Issue.record("expected a retry for \(code) at age \(age)")
                return
            }
            #expect(at >= now && at <= now.addingTimeInterval(policy.firstDelay))
        } else {
            #expect(decision == .giveUp)
        }
    }
}

@Test func transportFailuresAreRetryable() {
    #expect(DeliveryOutcome.network("reset").isRetryable)
    #expect(DeliveryOutcome.tls("handshake").isRetryable)
    #expect(DeliveryOutcome.timeout.isRetryable)
    #expect(!DeliveryOutcome.httpStatus(422, retryAfter: nil).isRetryable)
    #expect(RetryPolicy().ceiling(afterFailures: 100) == 600)
    #expect(RetryPolicy().ceiling(afterFailures: 3) == 20)
}

/// The outcomes added with one failure vocabulary: a peer refusing this authority itself is
/// retried, a local problem is not, a delivery not recorded here is (and is not the peer's
/// failure), and all survive the journal's encoding.
@Test func callerRefusalsAreRetriedAndLocalProblemsAreNotAndBothAreJournalled() throws {
    let refusal = DeliveryOutcome.notAccepted(status: 403, detail: "revoked: the client certificate of authority 441800 is revoked")
    let local = DeliveryOutcome.local("spool/x.dva: open failed: No such file or directory")
    let unrecorded = DeliveryOutcome.unrecorded("receipts/x.receipt.p7m: No space left on device")
    #expect(refusal.isRetryable && refusal.concernsThePeer)
    #expect(!local.isRetryable && !local.concernsThePeer)
    #expect(unrecorded.isRetryable && !unrecorded.concernsThePeer)
    #expect(!DeliveryOutcome.refused(status: 403, detail: "forbidden").isRetryable)
    for outcome in [refusal, local, unrecorded] {
        let event = OutboxEvent.deferred(
            id: "a1", at: Date(timeIntervalSince1970: 1_800_000_000),
            next: Date(timeIntervalSince1970: 1_800_000_060), outcome: outcome)
        let (type, payload) = event.encoded()
        let decoded = try payload.withUnsafeBytes { raw in
            try Result { () throws(PayloadDecodeFailure) in try OutboxEvent.decode(type: type, payload: raw) }.get()
        }
        #expect(decoded == event)
    }
}
