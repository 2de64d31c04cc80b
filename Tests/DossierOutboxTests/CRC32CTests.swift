@testable import DossierOutbox
import Testing

@Test func crc32cMatchesTheStandardCheckValue() {
    #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
}

@Test func crc32cIsTheSameInOnePieceAndInTwo() {
    let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
    for cut in [0, 1, 7, 8, 9, 500, 999, 1000] {
        let first = bytes[..<cut].withUnsafeBytes { CRC32C.update(0, $0) }
        let both = bytes[cut...].withUnsafeBytes { CRC32C.update(first, $0) }
        #expect(both == CRC32C.checksum(bytes))
    }
}
