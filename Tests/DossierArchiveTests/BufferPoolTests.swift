import Testing

@testable import DossierArchive

/// The pool hands out aligned buffers that never overlap, keeps `keep` of them (carved from its
/// region) for the next taker, and frees any beyond those when they come back.
@Suite struct BufferPoolTests {
    @Test func keptBuffersAreReusedAndTheRestAreFreed() {
        let pool = BufferPool(keep: 4)
        let taken = (0..<6).map { _ in pool.take() }
        for buffer in taken {
            #expect(buffer.count == BufferPool.bufferSize)
            #expect(UInt(bitPattern: buffer.baseAddress) % 4096 == 0)
            // Every byte is the taker's to write.
            buffer.initializeMemory(as: UInt8.self, repeating: 0xA5)
        }
        let starts = taken.map { UInt(bitPattern: $0.baseAddress) }.sorted()
        for (low, high) in zip(starts, starts.dropFirst()) { #expect(high - low >= UInt(BufferPool.bufferSize)) }
        // The region's four are 2 MiB-aligned as a whole and contiguous.
        let kept = taken.prefix(4).map { UInt(bitPattern: $0.baseAddress) }
        #expect(kept.first.map { $0 % UInt(2 << 20) } == 0)
        #expect(kept == (0..<4).map { (kept.first ?? 0) + UInt($0 * BufferPool.bufferSize) })
        taken.forEach(pool.give)
        // Only the kept four come back; the next two are new allocations.
        let again = Set((0..<4).map { _ in UInt(bitPattern: pool.take().baseAddress) })
        #expect(again == Set(kept))
    }
}
