import DossierModel
import Testing

/// How much one rejection can say (found in review): a detail is cut at 1 KiB of UTF-8, and a
/// receipt gives at most `limit` reasons, every code found among them before any repeat.
@Suite struct FindingBoundsTests {
    @Test func aLongDetailIsCutAtACharacterAndSaysItsLength() {
        let long = String(repeating: "车", count: 1000)
        let detail = Finding(.integrity, "id-mismatch", long).detail
        #expect(detail.utf8.count <= Finding.longestDetail + 40)
        #expect(detail.hasSuffix("… (3000 bytes in all)"), "\(detail.suffix(30))")
        #expect(detail.hasPrefix(String(repeating: "车", count: Finding.longestDetail / 3)))
        #expect(!detail.contains("\u{FFFD}"))
        #expect(Finding(.integrity, "id-mismatch", "short").detail == "short")
    }

    @Test func fewFindingsAreKeptAsTheyAre() {
        let findings = (0..<32).map { Finding(.integrity, "missing-file", "f\($0)") }
        #expect(Finding.bounded(findings, limit: 32) == findings)
    }

    /// Forty missing files and then a bad signature: the signature is among the reasons, not
    /// only counted in the summary.
    @Test func everyCodeStaysAmongTheReasonsAndTheRestIsCounted() {
        let missing = (0..<40).map { Finding(.integrity, "missing-file", "f\($0)") }
        let signature = Finding(.authenticity, "signature-invalid", "does not verify")
        let bounded = Finding.bounded(missing + [signature] + missing, limit: 32)
        #expect(bounded.count == 32)
        #expect(bounded.dropLast().map(\.code) == ["missing-file", "signature-invalid"] + Array(repeating: "missing-file", count: 29))
        #expect(bounded.prefix(2).map(\.detail) == ["f0", "does not verify"])
        #expect(bounded.last == Finding(.integrity, "more-findings", "and 50 more: missing-file ×50"))
    }
}
