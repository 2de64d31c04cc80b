@testable import DossierModel
import Foundation
import DossierSamples
import Testing

@Suite struct RecordTests {
    @Test func encodedRecordDecodesToTheSameValue() throws {
        let record = try sampleRecord()
        let data = record.encoded()
        #expect(try DossierRecord.decode(data) == record)
        #expect(record.encoded() == data)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"schema\" : \"dossier/1\""))
        #expect(text.contains("\"firstRegistrationDate\" : \"\(record.registration.firstRegistrationDate)\""))
    }

    @Test func unknownKeyIsRejectedWithItsPath() throws {
        var object = try jsonObject(sampleRecord())
        var vehicle = object["vehicle"] as? [String: Any] ?? [:]
        vehicle["colour"] = "white"
        object["vehicle"] = vehicle
        #expect(throws: RecordError.unknownKey(path: "vehicle.colour")) { try DossierRecord.decode(data(object)) }
    }

    @Test func unknownKeyInsideAnArrayIsRejectedWithItsIndex() throws {
        var object = try jsonObject(sampleRecord())
        var documents = object["documents"] as? [[String: Any]] ?? []
        documents[1]["pages"] = 3
        object["documents"] = documents
        #expect(throws: RecordError.unknownKey(path: "documents[1].pages")) { try DossierRecord.decode(data(object)) }
    }

    @Test func missingKeyWrongTypeAndBadDateNameTheirPath() throws {
        var object = try jsonObject(sampleRecord())
        var owner = object["owner"] as? [String: Any] ?? [:]
        owner.removeValue(forKey: "idNumber")
        object["owner"] = owner
        #expect(throws: RecordError.missingKey(path: "owner.idNumber")) { try DossierRecord.decode(data(object)) }

        object = try jsonObject(sampleRecord())
        var pending = object["pending"] as? [String: Any] ?? [:]
        pending["unsettledViolations"] = "two"
        object["pending"] = pending
        #expect(throws: RecordError.wrongType(path: "pending.unsettledViolations", expected: "Int")) {
            try DossierRecord.decode(data(object))
        }

        object = try jsonObject(sampleRecord())
        var registration = object["registration"] as? [String: Any] ?? [:]
        registration["scrapDeadline"] = "2030-02-30"
        object["registration"] = registration
        let badDate = try data(object)
        do {
            _ = try DossierRecord.decode(badDate)
            Issue.record("a non-existent date was accepted")
        } catch {
            #expect(error.field == "registration.scrapDeadline")
        }
    }

    @Test func nullOptionalTransferIsAccepted() throws {
        var object = try jsonObject(sampleRecord())
        object["transfer"] = NSNull()
        #expect(try DossierRecord.decode(data(object)).transfer == nil)
    }

    @Test func malformedJSONOtherSchemaAndNonObjectAreRejected() {
        #expect(throws: RecordError.self) { try DossierRecord.decode(Data("{\"schema\": ".utf8)) }
        #expect(throws: RecordError.notAnObject) { try DossierRecord.decode(Data("[1, 2]".utf8)) }
        #expect(throws: RecordError.unsupportedSchema(found: "dossier/2")) {
            try DossierRecord.decode(Data("{\"schema\": \"dossier/2\"}".utf8))
        }
        #expect(throws: RecordError.missingKey(path: "schema")) { try DossierRecord.decode(Data("{}".utf8)) }
        #expect(throws: RecordError.self) { try DossierRecord.decode(Data()) }
    }

    @Test func sampleRecordIsValid() throws {
        #expect(RecordValidator.validate(try sampleRecord(), dossierDirectory: nil, today: testNow) == [])
    }

    /// A name or address of white space alone is missing, whatever the white space (an
    /// ideographic space, a no-break space, a line end); one other character makes it present.
    @Test func aFieldOfWhiteSpaceAloneIsMissing() throws {
        for blank in ["", " ", "\u{3000}", "\u{A0}\t", " \r\n\u{2028}"] {
            var record = try sampleRecord()
            record.owner.name = blank
            record.owner.address = blank + "x" + blank
            let problems = RecordValidator.validate(record, dossierDirectory: nil, today: testNow)
            #expect(problems.map(\.code) == ["missing-value"], "\(Array(blank.unicodeScalars))")
            #expect(problems.map(\.field) == ["owner.name"])
        }
    }

    @Test func validatorNamesEachBadField() throws {
        var record = try sampleRecord()
        record.vehicle.vin = "LFV2A21K873000001"
        record.owner.idNumber = "11010519491231002Y"
        record.plate.number = "湘A12345"
        record.plate.type = "77"
        record.registration.status = "AZ"
        record.registration.managingOffice = "991800"
        record.vehicle.manufactureDate = testDay.adding(days: 3)
        record.documents[0].kind = "selfie"
        record.documents[1].file = "documents/../../etc/passwd"
        let problems = RecordValidator.validate(record, dossierDirectory: nil, today: testNow)
        let found = Set(problems.map { "\($0.code)@\($0.field ?? "")" })
        for expected in [
            "invalid-vin@vehicle.vin", "invalid-id-number@owner.idNumber", "invalid-plate-number@plate.number",
            "invalid-plate-type@plate.type", "invalid-status@registration.status",
            "invalid-division-code@registration.managingOffice", "date-in-future@vehicle.manufactureDate",
            "date-order@registration.firstRegistrationDate",
            "unknown-document-kind@documents[0].kind", "document-path-escape@documents[1].file",
        ] {
            #expect(found.contains(expected), "missing \(expected) in \(found.sorted())")
        }
        #expect(problems.allSatisfy { !$0.message.isEmpty && !$0.messageZh.isEmpty })
        // The ID number is masked in every text (first 4 + last 4), never shown whole.
        let idProblem = try #require(problems.first { $0.code == "invalid-id-number" })
        #expect(idProblem.message.contains("1101**********002Y") && idProblem.messageZh.contains("1101**********002Y"), "\(idProblem)")
        #expect(problems.allSatisfy { !$0.message.contains("11010519491231002Y") && !$0.messageZh.contains("11010519491231002Y") })
    }

    @Test func newEnergyPlateNeedsNewEnergyType() throws {
        var record = try sampleRecord()
        record.plate.number = "粤RD12345"
        record.plate.type = "02"
        #expect(RecordValidator.validate(record, dossierDirectory: nil, today: testNow).map(\.code) == ["invalid-plate-type"])
        record.plate.type = "52"
        #expect(RecordValidator.validate(record, dossierDirectory: nil, today: testNow) == [])
    }

    @Test(arguments: [
        "/etc/passwd", "documents/../dossier.json", "documents/", "documents//a.pdf", "docs/a.pdf",
        "documents/./a.pdf", "documents\\..\\a.pdf",
    ])
    func documentPathsOutsideDocumentsAreRejected(_ path: String) throws {
        var record = try sampleRecord()
        record.documents[0].file = path
        #expect(RecordValidator.validate(record, dossierDirectory: nil, today: testNow).map(\.code) == ["document-path-escape"])
    }

    @Test func companyOwnerIsCheckedAsCreditCode() throws {
        var record = try sampleRecord()
        record.owner.idType = .uscc
        record.owner.idNumber = "91350100M000100Y43"
        #expect(RecordValidator.validate(record, dossierDirectory: nil, today: testNow) == [])
        record.owner.idNumber = "91350100M000100Y42"
        #expect(RecordValidator.validate(record, dossierDirectory: nil, today: testNow).map(\.code) == ["invalid-id-number"])
    }

    @Test func decodingNeverTrapsOnDamagedRecords() throws {
        let bytes = Array(try sampleRecord().encoded())
        var random = SystemRandomNumberGenerator()
        for cut in stride(from: 0, to: bytes.count, by: 7) {
            #expect(throws: RecordError.self) { try DossierRecord.decode(Data(bytes.prefix(cut))) }
        }
        for _ in 0..<300 {
            var damaged = bytes
            damaged[Int.random(in: 0..<damaged.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            if let record = try? DossierRecord.decode(Data(damaged)) {
                _ = RecordValidator.validate(record, dossierDirectory: nil, today: testNow)
                _ = TransferEligibility.evaluate(record, destination: "430100", policy: .default, today: testNow)
            }
        }
    }

    private func jsonObject(_ record: DossierRecord) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: record.encoded()) as? [String: Any] ?? [:]
    }

    private func data(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }
}

@Suite struct PersonalDataTests {
    @Test func idNumbersKeepFirstFourAndLastFourNamesTheFirstCharacter() {
        #expect(PersonalData.maskIDNumber("11010519491231002X") == "1101**********002X")
        #expect(PersonalData.maskIDNumber("91350100M000100Y43") == "9135**********0Y43")
        #expect(PersonalData.maskIDNumber("12345678") == "********")
        #expect(PersonalData.maskName("张三丰") == "张**")
        #expect(PersonalData.maskName("") == "")
    }
}

/// `KeyShape`, the reference of the unknown-key check, is the shape of the record's JSON: the
/// same keys at every level as `JSONEncoder` writes, for records with and without their
/// optional members.
@Suite struct KeyShapeTests {
    @Test(arguments: [nil] + SampleGenerator.breakableRules.map(Optional.some))
    func theShapeIsTheShapeOfTheEncodedJSON(ineligible: String?) throws {
        for seed in UInt64(1)...UInt64(8) {
            let record = try sampleRecord(seed: seed, ineligible: ineligible)
            let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(record))
            let shape = try KeyShape.of(record)
            #expect(Self.describe(shape) == Self.describe(json), "seed \(seed), \(ineligible ?? "eligible")")
        }
    }

    /// Keys and nesting only, sorted: every scalar is `_`.
    static func describe(_ node: KeyShape.Node) -> String {
        if let object = node.object {
            return "{" + object.keys.sorted().map { "\($0):\(object[$0].map(describe) ?? "")" }.joined(separator: ",") + "}"
        }
        if let array = node.array { return "[" + array.map(describe).joined(separator: ",") + "]" }
        return "_"
    }

    /// The same for parsed JSON.
    static func describe(_ tree: Any) -> String {
        if let object = tree as? [String: Any] {
            return "{" + object.keys.sorted().map { "\($0):\(describe(object[$0] ?? ""))" }.joined(separator: ",") + "}"
        }
        if let array = tree as? [Any] { return "[" + array.map(describe).joined(separator: ",") + "]" }
        return "_"
    }
}
