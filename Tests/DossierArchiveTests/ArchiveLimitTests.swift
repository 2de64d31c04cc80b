import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// docs/protocol.md: what one archive can make the verifier hold is bounded by `ArchiveLimits`,
/// each bound named in the `size-limit` finding, and the scan stops as soon as one is crossed.
@Suite struct ArchiveLimitTests {
    let temp: TempDir
    let pki = TestPKI.shared
    static let bag = "crafted-0001"

    init() throws { temp = try TempDir() }

    func verify(_ bytes: [UInt8], limits: ArchiveLimits = .default) throws -> VerificationReport {
        let path = temp.path("archive-\(UUID().uuidString).dva")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ArchiveVerifier(trust: pki.trust(), limits: limits).verify(path: path)
    }

    /// The single `size-limit` finding's detail, which must start with the bound's name.
    func crossed(_ report: VerificationReport, _ bound: ArchiveLimits.Bound, sourceLocation: SourceLocation = #_sourceLocation) -> String? {
        #expect(report.codes == ["size-limit"], "\(report.reasons)", sourceLocation: sourceLocation)
        let detail = report.reasons.first?.detail
        #expect(detail?.hasPrefix("\(bound.rawValue):") == true, "\(detail ?? "no finding")", sourceLocation: sourceLocation)
        return detail
    }

    /// The byte offset the scan had reached, from a detail ending in "(header at byte N)".
    func offset(in detail: String?) -> UInt64? {
        guard let detail, let range = detail.range(of: "header at byte ") else { return nil }
        return UInt64(detail[range.upperBound...].prefix { $0.isNumber })
    }

    func value(_ count: Int) -> String { String(repeating: "v", count: count) }

    /// The issue's attack: 64 KiB pax headers with distinct keys, chained in front of one entry
    /// (16 MiB of them here). Rejected at the second header, after about 128 KiB.
    @Test func chainedPaxHeadersStopAtTheEntryBudget() throws {
        var tar = RawTar()
        for i in 0..<256 { tar.pax([(key: "k\(i)", value: value(60_000))]) }
        tar.file("\(Self.bag)/bagit.txt", [1])
        tar.end()
        let detail = crossed(try verify(tar.bytes), .paxBytesPerEntry)
        let reached = try #require(offset(in: detail))
        #expect(reached < 256 << 10, "read up to \(reached)")
    }

    @Test func paxKeysPerEntry() throws {
        var tar = RawTar()
        tar.pax((0..<65).map { (key: "key\($0)", value: "x") })
        tar.file("\(Self.bag)/bagit.txt", [1])
        tar.end()
        _ = crossed(try verify(tar.bytes), .paxRecordsPerEntry)
    }

    /// Each entry within its own budget, the archive over its total: stopped at 4 MiB of 6.
    @Test func paxBytesPerArchive() throws {
        var tar = RawTar()
        for i in 0..<100 {
            tar.pax([(key: "comment", value: value(60_000))])
            tar.file("\(Self.bag)/data/documents/\(i).pdf", [0x25])
        }
        tar.end()
        let detail = crossed(try verify(tar.bytes), .paxBytesTotal)
        #expect(try #require(offset(in: detail)) < 5 << 20)
    }

    @Test func paxRecordsPerArchive() throws {
        var limits = ArchiveLimits.default
        limits.maxPaxRecordsTotal = 100
        var tar = RawTar()
        for i in 0..<30 {
            tar.pax((0..<5).map { (key: "key\($0)", value: "x") })
            tar.file("\(Self.bag)/data/documents/\(i).pdf", [0x25])
        }
        tar.end()
        _ = crossed(try verify(tar.bytes, limits: limits), .paxRecordsTotal)
    }

    /// Extended headers count against `maxEntries`, even chained in front of a single entry.
    @Test func extendedHeadersCountAsEntries() throws {
        var limits = ArchiveLimits.default
        limits.maxEntries = 10
        var tar = RawTar()
        for _ in 0..<20 { tar.pax([(key: "comment", value: "x")]) }
        tar.file("\(Self.bag)/bagit.txt", [1])
        tar.end()
        _ = crossed(try verify(tar.bytes, limits: limits), .entries)
    }

    @Test func longNames() throws {
        var pax = RawTar()
        pax.pax([(key: "path", value: "\(Self.bag)/data/documents/" + value(2000))])
        pax.file("x", [1])
        pax.end()
        _ = crossed(try verify(pax.bytes), .nameBytes)
        var gnu = RawTar()
        let name = Array("\(Self.bag)/data/documents/\(value(2000))".utf8)
        gnu.file("././@LongLink", name, flag: "L")
        gnu.file("x", [1])
        gnu.end()
        _ = crossed(try verify(gnu.bytes), .nameBytes)
    }

    /// The issue's second attack: files outside `data/`, each under the per-file limit, are read
    /// whole. Their number and their total are bounded; the scan stops at the bound.
    @Test func tagFileFlood() throws {
        var many = RawTar()
        for i in 0..<100 { many.file("\(Self.bag)/tag-\(i).txt", [UInt8](repeating: 0x41, count: 1024)) }
        many.end()
        _ = crossed(try verify(many.bytes), .tagFiles)

        var limits = ArchiveLimits.default
        limits.maxTagBytesTotal = 64 << 10
        var large = RawTar()
        for i in 0..<10 { large.file("\(Self.bag)/tag-\(i).txt", [UInt8](repeating: 0x41, count: 16 << 10)) }
        large.end()
        _ = crossed(try verify(large.bytes, limits: limits), .tagBytesTotal)

        limits = .default
        limits.maxTagFileBytes = 1024
        var one = RawTar()
        one.file("\(Self.bag)/bag-info.txt", [UInt8](repeating: 0x41, count: 4096))
        one.end()
        _ = crossed(try verify(one.bytes, limits: limits), .tagFileBytes)
    }

    @Test func recordSize() throws {
        var limits = ArchiveLimits.default
        limits.maxRecordBytes = 1024
        var tar = RawTar()
        tar.file("\(Self.bag)/data/dossier.json", [UInt8](repeating: 0x20, count: 2048))
        tar.end()
        _ = crossed(try verify(tar.bytes, limits: limits), .recordBytes)
    }

    /// Each document keeps up to 68 KiB of samples; their total is bounded, not only their count.
    @Test func documentSamples() throws {
        var limits = ArchiveLimits.default
        limits.maxSampleBytes = 200 << 10
        var tar = RawTar()
        for i in 0..<4 { tar.file("\(Self.bag)/data/documents/\(i).pdf", [UInt8](repeating: 0x25, count: 70_000)) }
        tar.end()
        _ = crossed(try verify(tar.bytes, limits: limits), .sampleBytes)
        limits.maxSampleBytes = 300 << 10
        #expect(!(try verify(tar.bytes, limits: limits)).codes.contains("size-limit"))
    }

    /// A genuine bag is well inside every default bound.
    @Test func aGenuineBagPassesTheDefaults() throws {
        let sample = try SampleDossier.make(in: temp)
        let report = try verify(try sample.crafter().tar(signer: pki.identity("441800")))
        #expect(report.valid, "\(report.reasons)")
    }
}
