import DossierModel
import DossierSamples
import Foundation
import Testing

@Suite struct SampleGeneratorTests {
    @Test func sameSeedGivesIdenticalBytesAndOtherSeedsDiffer() throws {
        let first = try withSamples(sampleGenerator(seed: 42, count: 2, size: 20_000)) { try $0.map(contents) }
        let again = try withSamples(sampleGenerator(seed: 42, count: 2, size: 20_000)) { try $0.map(contents) }
        let other = try withSamples(sampleGenerator(seed: 43, count: 2, size: 20_000)) { try $0.map(contents) }
        #expect(first == again)
        #expect(first != other)
        #expect(first[0] != first[1])
    }

    @Test func platesFollowTheOriginOffice() throws {
        let qingyuan = try sampleGenerator().record(0)
        #expect(qingyuan.plate.number.hasPrefix("粤R"))
        let changsha = try SampleGenerator(seed: 3, origin: "430100", destination: "441800", today: testDay).record(0)
        #expect(changsha.plate.number.hasPrefix("湘A"))
        #expect(changsha.owner.address.hasPrefix("湖南省长沙市"))
        #expect(changsha.transfer?.buyer.idNumber.hasPrefix("4418") == true)
    }

    @Test func someOwnersAreCompaniesWithValidCreditCodes() throws {
        let owners = try (0..<30).map { try sampleGenerator(count: 30).record($0).owner }
        let companies = owners.filter { $0.idType == .uscc }
        #expect(!companies.isEmpty && companies.count < owners.count)
        for company in companies { try SocialCreditCode.check(company.idNumber) }
        for person in owners where person.idType == .residentID { try ResidentID.check(person.idNumber, today: testDay) }
    }

    @Test func fillerDoesNotCompress() throws {
        try withSamples(sampleGenerator(size: 100_000)) { folders in
            let folder = try #require(folders.first)
            let bytes = try Data(contentsOf: folder.appendingPathComponent("documents/01-application-form.pdf"))
            var counts = [Int](repeating: 0, count: 256)
            for byte in bytes { counts[Int(byte)] += 1 }
            // Uniform bytes: every value appears, none more than twice its expected share.
            #expect(counts.allSatisfy { $0 > 0 && $0 < 2 * bytes.count / 256 })
        }
    }

    @Test func unknownRuleAndOfficeAreRejected() throws {
        #expect(throws: SampleError.unknownRule("parking")) { try sampleGenerator(ineligible: "parking").record(0) }
        #expect(throws: SampleError.unknownOffice("999999")) {
            try SampleGenerator(origin: "999999", today: testDay).record(0)
        }
    }

    private func contents(_ folder: URL) throws -> [String: Data] {
        var files: [String: Data] = ["dossier.json": try Data(contentsOf: folder.appendingPathComponent("dossier.json"))]
        let documents = folder.appendingPathComponent("documents")
        for name in try FileManager.default.contentsOfDirectory(atPath: documents.path) {
            files[name] = try Data(contentsOf: documents.appendingPathComponent(name))
        }
        return files
    }
}

@Suite struct SampleAuthorityCodesTests {
    @Test func everyCodeIsADistinctValidDivisionCode() throws {
        #expect(SampleAuthorityCodes.all.count == 58)
        #expect(Set(SampleAuthorityCodes.all).count == SampleAuthorityCodes.all.count)
        for code in SampleAuthorityCodes.all { try Division.check(code) }
        #expect(SampleAuthorityCodes.all.prefix(5) == ["110000", "120000", "310000", "500000", "130100"])
        #expect(SampleAuthorityCodes.all.contains("440200") && !SampleAuthorityCodes.all.contains("440300"))
    }

    @Test func firstSkipsTheExcludedAndStopsWhereTheCodesEnd() {
        let fifty = SampleAuthorityCodes.first(50, excluding: ["110000", "430100"])
        #expect(fifty.count == 50)
        #expect(!fifty.contains("110000") && !fifty.contains("430100"))
        #expect(SampleAuthorityCodes.first(100).count == 58)
    }
}

extension SampleAuthorityCodesTests {
    @Test func dossiersForAGeneratedCodePassTheirChecks() throws {
        let record = try SampleGenerator(seed: 7, destination: "620200", today: testDay).record(0)
        let transfer = try #require(record.transfer)
        #expect(transfer.toOffice == "620200")
        #expect(transfer.buyer.idNumber.hasPrefix("620202"))
        #expect(throws: SampleError.self) { try SampleGenerator(destination: "999999").record(0) }
    }
}
