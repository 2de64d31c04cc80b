import DossierModel
import DossierSamples
import Foundation
import Testing

@Suite struct EligibilityTests {
    @Test func defaultSampleIsEligible() throws {
        for seed: UInt64 in 1...20 {
            let record = try sampleRecord(seed: seed)
            #expect(eligibilityCodes(record) == [], "seed \(seed)")
            #expect(RecordValidator.validate(record, dossierDirectory: nil, today: testNow) == [], "seed \(seed)")
        }
    }

    @Test(arguments: SampleGenerator.breakableRules)
    func eachBrokenRuleBlocksWithExactlyItsCode(_ rule: String) throws {
        let record = try sampleRecord(ineligible: rule)
        #expect(Set(eligibilityCodes(record)) == [rule])
        #expect(RecordValidator.validate(record, dossierDirectory: nil, today: testNow) == [])
        let problems = TransferEligibility.evaluate(record, destination: "430100", policy: .default, today: testNow)
        #expect(problems.allSatisfy { $0.field != nil && !$0.message.isEmpty && !$0.messageZh.isEmpty })
    }

    @Test func statusLettersAloneBlock() throws {
        let cases: [(String, String)] = [
            ("L", "seized"), ("J", "stolen-or-suspect"), ("E", "deregistered-or-transferred"),
            ("M", "deregistered-or-transferred"), ("N", "unsettled-accidents"),
            ("G", "unsettled-violations"), ("H", "customs-without-release"),
        ]
        for (letters, code) in cases {
            var record = try sampleRecord()
            record.registration.status = letters
            #expect(eligibilityCodes(record) == [code], "status \(letters)")
        }
    }

    @Test func mortgageIsAllowedWithConsent() throws {
        var record = try sampleRecord(ineligible: "mortgage-without-consent")
        record.encumbrances.mortgage.mortgageeConsent = true
        #expect(eligibilityCodes(record) == [])
        record.encumbrances.mortgage.mortgageeConsent = nil
        #expect(eligibilityCodes(record) == ["mortgage-without-consent"])
    }

    @Test func expiredInspectionIsAllowedWithCertificateAndInsurance() throws {
        var record = try sampleRecord(ineligible: "inspection-expired-without-certificate")
        record.documents.append(DocumentEntry(kind: "safety-inspection-certificate", file: "documents/09.pdf", mediaType: .pdf))
        #expect(eligibilityCodes(record) == ["inspection-expired-without-certificate"])
        record.documents.append(DocumentEntry(kind: "compulsory-insurance", file: "documents/10.pdf", mediaType: .pdf))
        #expect(eligibilityCodes(record) == [])
    }

    @Test func inspectionDateInThePastBlocksWithoutStatusLetter() throws {
        var record = try sampleRecord()
        record.registration.inspectionValidUntil = testDay.adding(days: -1)
        #expect(eligibilityCodes(record) == ["inspection-expired-without-certificate"])
        record.registration.inspectionValidUntil = testDay
        #expect(eligibilityCodes(record) == [])
    }

    @Test func customsSupervisionIsAllowedWithRelease() throws {
        var record = try sampleRecord(ineligible: "customs-without-release")
        record.documents.append(DocumentEntry(kind: "customs-release", file: "documents/09.pdf", mediaType: .pdf))
        #expect(eligibilityCodes(record) == [])
    }

    @Test func scrapDeadlineMarginIsOneYear() throws {
        var record = try sampleRecord()
        record.registration.scrapDeadline = testDay.adding(years: 1).adding(days: 1)
        #expect(eligibilityCodes(record) == [])
        record.registration.scrapDeadline = testDay.adding(years: 1)
        #expect(eligibilityCodes(record) == ["scrap-deadline"])
    }

    @Test func countsBlockWithoutStatusLetters() throws {
        var record = try sampleRecord()
        record.pending.unsettledAccidents = 1
        #expect(eligibilityCodes(record) == ["unsettled-accidents"])
        record.pending = Pending(unsettledViolations: 1, unsettledAccidents: 0)
        #expect(eligibilityCodes(record) == ["unsettled-violations"])
    }

    @Test func scopeIsConfigurable() throws {
        var record = try sampleRecord()
        record.vehicle.vehicleType = "H31"
        #expect(eligibilityCodes(record) == ["out-of-scope"])
        var policy = TransferPolicy.default
        policy.vehicleTypes.append("H31")
        #expect(eligibilityCodes(record, policy: policy) == [])
    }

    @Test func disabledRuleNeverBlocks() throws {
        let record = try sampleRecord(ineligible: "seized")
        var policy = TransferPolicy.default
        policy.enabledRules.removeAll { $0 == .seized }
        #expect(eligibilityCodes(record, policy: policy) == [])
    }

    @Test func wrongDestinationAndMissingTransferAreMismatches() throws {
        var record = try sampleRecord()
        #expect(
            TransferEligibility.evaluate(record, destination: "440100", policy: .default, today: testNow).map(\.code)
                == ["record-mismatch"])
        record.transfer = nil
        #expect(eligibilityCodes(record) == ["record-mismatch"])
    }

    @Test func emissionRuleIsOffByDefaultAndPerDestination() throws {
        var record = try sampleRecord()
        record.vehicle.emissionStandard = "国四"
        #expect(eligibilityCodes(record) == [])
        var policy = TransferPolicy.default
        policy.destinations["430100"] = DestinationRules(acceptedEmissionStandards: ["国五", "国六"])
        #expect(eligibilityCodes(record, policy: policy) == ["emission-standard"])
        #expect(
            TransferEligibility.evaluate(record, destination: "440100", policy: policy, today: testNow).map(\.code)
                == ["record-mismatch"])
    }

    @Test func policyRoundTripsThroughJSON() throws {
        var policy = TransferPolicy.default
        policy.destinations["430100"] = DestinationRules(acceptedEmissionStandards: ["国六"])
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(TransferPolicy.self, from: data) == policy)
    }
}
