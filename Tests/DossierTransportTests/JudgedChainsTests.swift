import Testing

@testable import DossierTransport

/// The chains the server keeps for resumed TLS sessions are bounded: a caller cycling through
/// certificates costs full handshakes, never memory.
@Suite struct JudgedChainsTests {
    private func leaf(_ n: Int) -> [UInt8] { withUnsafeBytes(of: UInt32(n).bigEndian) { Array($0) } }

    private func judged(_ chain: [[UInt8]]) -> CallerStanding.Judged { .init(chain: chain, trust: nil, pending: nil) }

    @Test func atMostCapacityChainsAreKeptTheOldestForgottenFirst() {
        let chains = JudgedChains()
        for n in 0...JudgedChains.capacity { chains.remember(judged([leaf(n)])) }
        #expect(chains.judgement(ofLeaf: leaf(0)) == nil)
        #expect(chains.judgement(ofLeaf: leaf(1)) != nil && chains.judgement(ofLeaf: leaf(JudgedChains.capacity)) != nil)

        // A leaf judged again replaces its chain in place: it takes no second place in the order.
        chains.remember(judged([leaf(1), [0xCA]]))
        #expect(chains.judgement(ofLeaf: leaf(1))?.chain.count == 2)
        chains.remember(judged([leaf(JudgedChains.capacity + 1)]))
        #expect(chains.judgement(ofLeaf: leaf(1)) == nil && chains.judgement(ofLeaf: leaf(2)) != nil)
    }
}
