import PropertyBased
import Testing

@testable import DossierModel

/// `DocumentFormat.contains` (memchr + memcmp) finds exactly what a plain scan finds: over a
/// three-letter alphabet, so that near misses, overlaps and matches at either end are common.
@Suite struct ByteSearchPropertyTests {
    private static let bytes = Gen.element(of: [UInt8(0x25), 0x45, 0x4F]).map { $0 ?? 0x25 }

    @Test func containsAgreesWithAPlainScan() async {
        await propertyCheck(count: 500, input: Self.bytes.array(of: 0...40), Self.bytes.array(of: 0...5)) { haystack, needle in
            let plain =
                !needle.isEmpty && haystack.count >= needle.count
                && (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
            #expect(DocumentFormat.contains(haystack, needle) == plain, "\(haystack) \(needle)")
        }
    }

    @Test func matchesAtEitherEndAndNotPastIt() {
        let text = Array("xx%%EOF".utf8)
        #expect(DocumentFormat.contains(text, Array("%%EOF".utf8)))
        #expect(DocumentFormat.contains(text, Array("xx%".utf8)))
        #expect(!DocumentFormat.contains(text, Array("%%EOF\n".utf8)))
        #expect(!DocumentFormat.contains(Array(text.dropLast()), Array("%%EOF".utf8)))
    }
}
