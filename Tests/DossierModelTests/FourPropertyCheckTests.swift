import DossierModel
import Foundation
import Testing

@Suite struct FourPropertyCheckTests {
    /// The bag-info, record bytes and samples of a generated dossier, as the archive reader would hand them over.
    private func opened(_ folder: URL) throws -> ([(String, String)], Data, [DocumentSample]) {
        let record = try DossierFolder.load(folder)
        let bagInfo = [
            ("Source-Organization", "441800"), ("Vehicle-VIN", record.vehicle.vin),
            ("Vehicle-Plate", record.plate.number), ("Origin-Authority", "441800"),
            ("Destination-Authority", "430100"), ("Dossier-Schema", "dossier/1"),
        ]
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("documents").path).sorted()
        let samples = try names.map { name in
            try DocumentSample.read(from: folder.appendingPathComponent("documents/" + name), path: "documents/" + name)
        }
        return (bagInfo, try Data(contentsOf: folder.appendingPathComponent("dossier.json")), samples)
    }

    @Test func soundArchivePasses() throws {
        try withSamples(sampleGenerator()) { folders in
            let (bagInfo, record, samples) = try opened(try #require(folders.first))
            #expect(FourPropertyCheck.run(bagInfo: bagInfo, record: record, documents: samples, today: testNow) == [])
        }
    }

    @Test func bagInfoDisagreeingWithRecordIsAMismatch() throws {
        try withSamples(sampleGenerator()) { folders in
            var (bagInfo, record, samples) = try opened(try #require(folders.first))
            bagInfo = bagInfo.map { $0.0 == "Vehicle-VIN" ? ($0.0, "LFV2A21K773000001") : $0 }
            bagInfo = bagInfo.map { $0.0 == "Destination-Authority" ? ($0.0, "440100") : $0 }
            bagInfo.removeAll { $0.0 == "Vehicle-Plate" }
            let findings = FourPropertyCheck.run(bagInfo: bagInfo, record: record, documents: samples, today: testNow)
            #expect(findings.map(\.code) == ["record-mismatch", "missing-metadata", "record-mismatch"])
            #expect(findings.map(\.property) == [.authenticity, .integrity, .authenticity])
        }
    }

    @Test func missingAndMalformedRecord() throws {
        try withSamples(sampleGenerator()) { folders in
            let (bagInfo, _, samples) = try opened(try #require(folders.first))
            #expect(
                FourPropertyCheck.run(bagInfo: bagInfo, record: nil, documents: samples, today: testNow)
                    == [Finding(.integrity, "missing-record", "data/dossier.json is absent")])
            let findings = FourPropertyCheck.run(bagInfo: bagInfo, record: Data("{".utf8), documents: samples, today: testNow)
            #expect(findings.map(\.code) == ["malformed-record"])
        }
    }

    @Test func invalidRecordIsAnAuthenticityFinding() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            let (bagInfo, _, samples) = try opened(folder)
            var record = try DossierFolder.load(folder)
            record.owner.idNumber = "440524188001010015"
            let findings = FourPropertyCheck.run(bagInfo: bagInfo, record: record.encoded(), documents: samples, today: testNow)
            #expect(findings.map(\.code) == ["invalid-record"])
            #expect(findings.first?.property == .authenticity)
            #expect(findings.first?.detail.contains("owner.idNumber") == true)
        }
    }

    @Test func missingUnlistedAndUnsafeDocuments() throws {
        try withSamples(sampleGenerator()) { folders in
            var (bagInfo, record, samples) = try opened(try #require(folders.first))
            let removed = samples.removeFirst().path
            samples.append(sample("documents/zz-tool", [0x7F, 0x45, 0x4C, 0x46, 2, 1, 1, 0]))
            let findings = FourPropertyCheck.run(bagInfo: bagInfo, record: record, documents: samples, today: testNow)
            #expect(
                findings == [
                    Finding(.integrity, "missing-document", "\(removed) is listed in the record but absent"),
                    Finding(.integrity, "unlisted-document", "documents/zz-tool is not listed in the record"),
                    Finding(.security, "executable", "documents/zz-tool is an executable (ELF)"),
                ])
        }
    }
}
