import DossierModel
import DossierSamples
import Foundation
import Testing

/// The credit restriction list: its strict text form and the `credit-restricted` finding.
@Suite struct CreditListTests {
    /// GB 32100's example code.
    static let dealer = "91350100M000100Y43"

    /// A valid credit code other than `dealer`, built from its first 17 characters.
    static func code(_ body: String) -> String { body + String(SocialCreditCode.checkCharacter(for: body) ?? "?") }

    /// Makes the owner the listed dealer, keeping the rest of the record valid.
    static func makeDealer(_ owner: inout Owner) {
        owner.name = "清远市顺达汽车销售服务有限公司"
        owner.idType = .uscc
        owner.idNumber = dealer
    }

    @Test func parsesEntriesSkippingCommentsAndBlankLines() throws {
        let other = Self.code("91440100MA5CXXXX1")
        let text =
            "# joint punishment list, 2026-11\n\n\(Self.dealer)   serious dishonesty: unpaid court judgment\r\n  # indented comment\n\(other)\t失信被执行人\n"
        let list = try CreditList.parse(text, source: "list.txt")
        #expect(list.reasons == [Self.dealer: "serious dishonesty: unpaid court judgment", other: "失信被执行人"])
        #expect(try CreditList.parse("", source: "empty.txt").reasons.isEmpty)
    }

    @Test func aBadCheckCharacterNamesTheFileAndLine() {
        let wrong = String(Self.dealer.dropLast()) + "4"
        #expect(
            throws: CreditListError(source: "list.txt", line: 3, problem: .invalidCode(wrong, .checkCharacter(expected: "3", found: "4")))
        ) {
            try CreditList.parse("# header\n\(Self.dealer) fraud\n\(wrong) fraud\n", source: "list.txt")
        }
        let error = #expect(throws: CreditListError.self) { try CreditList.parse("\(wrong) fraud", source: "/etc/credit.txt") }
        #expect(error?.description.hasPrefix("/etc/credit.txt:1: ") == true)
        #expect(error?.descriptionZh.contains("第1行") == true)
    }

    @Test func badLinesAreRefused() {
        let cases: [(String, CreditListError.Problem)] = [
            ("\(Self.dealer)", .missingReason(Self.dealer)),
            ("\(Self.dealer)   ", .missingReason(Self.dealer)),
            ("91350100M000100Y4 fraud", .invalidCode("91350100M000100Y4", .length(expected: 18, actual: 17))),
            ("91350100I000100Y43 fraud", .invalidCode("91350100I000100Y43", .invalidCharacter(position: 9, character: "I"))),
            ("\(Self.dealer) fraud\n\(Self.dealer) again", .duplicate(Self.dealer)),
        ]
        for (text, problem) in cases {
            let line = text.contains("\n") ? 2 : 1
            #expect(throws: CreditListError(source: "l", line: line, problem: problem), "\(text)") {
                try CreditList.parse(text, source: "l")
            }
        }
    }

    @Test func aListedSellerOrBuyerEnterpriseIsFoundWithBothLanguages() throws {
        var record = try sampleRecord()
        Self.makeDealer(&record.owner)
        let list = CreditList(reasons: [Self.dealer: "unpaid court judgment"])
        let seller = CreditRestrictions.check(record, list: list)
        #expect(seller.map(\.code) == ["credit-restricted"])
        #expect(seller.first?.field == "owner.idNumber")
        #expect(seller.first?.message.contains("seller 清远市顺达汽车销售服务有限公司") == true)
        #expect(seller.first?.message.contains("unpaid court judgment") == true)
        #expect(seller.first?.messageZh.contains("出让方清远市顺达汽车销售服务有限公司") == true)
        #expect(seller.first?.messageZh.contains("信用惩戒名单") == true)

        var buying = try sampleRecord()
        buying.transfer?.buyer = Buyer(name: "长沙二手车行", idType: .uscc, idNumber: Self.dealer)
        let buyer = CreditRestrictions.check(buying, list: list)
        #expect(buyer.map(\.field) == ["transfer.buyer.idNumber"])
        #expect(buyer.first?.messageZh.hasPrefix("受让方长沙二手车行") == true)
    }

    @Test func individualsAndUnlistedEnterprisesAreNotAffected() throws {
        var record = try sampleRecord()
        record.owner.idType = .residentID
        record.owner.idNumber = "11010519491231002X"
        record.transfer?.buyer = Buyer(name: "x", idType: .uscc, idNumber: Self.code("91430100MA4L00001"))
        // Only an enterprise is matched, even if the list somehow held the same characters.
        let list = CreditList(reasons: ["11010519491231002X": "n/a", Self.dealer: "fraud"])
        #expect(CreditRestrictions.check(record, list: list) == [])
    }

    @Test func warnReportsWithoutBlockingAndBlockRefuses() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            let file = folder.appendingPathComponent("dossier.json")
            var record = try DossierFolder.load(folder)
            Self.makeDealer(&record.owner)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(record).write(to: file)
            let list = CreditList(reasons: [Self.dealer: "fraud"])
            let blocked = try DossierFolder.check(
                folder, destination: "430100", policy: .default, credit: CreditRestrictions(list: list, action: .block), today: testNow)
            #expect(blocked.eligible == false)
            #expect(blocked.problems.map(\.code) == ["credit-restricted"])
            #expect(blocked.warnings.isEmpty)
            let warned = try DossierFolder.check(
                folder, destination: "430100", policy: .default, credit: CreditRestrictions(list: list, action: .warn), today: testNow)
            #expect(warned.eligible == true)
            #expect(warned.problems.isEmpty)
            #expect(warned.warnings.map(\.code) == ["credit-restricted"])
            let unscreened = try DossierFolder.check(folder, destination: "430100", policy: .default, today: testNow)
            #expect(unscreened.eligible == true && unscreened.warnings.isEmpty)
        }
    }
}
