import DossierModel
import Foundation
import PropertyBased
import Testing

@Suite struct CodeTests {
    @Test(arguments: ["1M8GDM9AXKP042788", "LFV2A21K773000001"])
    func workedVINsPass(_ vin: String) throws {
        try VIN.check(vin)
    }

    @Test func vinCheckCharactersMatchTheWorkedExamples() {
        #expect(VIN.checkCharacter(for: "1M8GDM9A0KP042788") == "X")
        #expect(VIN.checkCharacter(for: "LFV2A21K073000001") == "7")
    }

    @Test func vinFailuresNameTheReason() {
        #expect(throws: CodeError.checkCharacter(expected: "X", found: "1")) { try VIN.check("1M8GDM9A1KP042788") }
        #expect(throws: CodeError.length(expected: 17, actual: 16)) { try VIN.check("1M8GDM9AXKP04278") }
        #expect(throws: CodeError.invalidCharacter(position: 2, character: "O")) { try VIN.check("1O8GDM9AXKP042788") }
        #expect(throws: CodeError.invalidCharacter(position: 1, character: "l")) { try VIN.check("lFV2A21K773000001") }
    }

    @Test(arguments: ["11010519491231002X", "440524188001010014"])
    func workedIdentityNumbersPass(_ number: String) throws {
        try ResidentID.check(number, today: testDay)
    }

    @Test func identityNumberFailures() {
        #expect(throws: CodeError.checkCharacter(expected: "X", found: "1")) { try ResidentID.check("110105194912310021") }
        #expect(throws: CodeError.unknownProvince(prefix: "99")) { try ResidentID.check("99010519491231002X") }
        #expect(throws: CodeError.invalidBirthDate("19490230")) { try ResidentID.check("110105194902300021") }
        #expect(throws: CodeError.birthDateInFuture("20301231")) {
            try ResidentID.check("110105203012310027", today: testDay)
        }
        #expect(throws: CodeError.length(expected: 18, actual: 3)) { try ResidentID.check("110") }
    }

    @Test func workedCreditCodePasses() throws {
        try SocialCreditCode.check("91350100M000100Y43")
        #expect(throws: CodeError.checkCharacter(expected: "3", found: "4")) { try SocialCreditCode.check("91350100M000100Y44") }
        #expect(throws: CodeError.invalidCharacter(position: 9, character: "I")) { try SocialCreditCode.check("91350100I000100Y43") }
    }

    @Test func divisionCodes() throws {
        for code in ["441800", "440100", "430100", "110105", "650100"] { try Division.check(code) }
        #expect(throws: CodeError.unknownProvince(prefix: "99")) { try Division.check("991800") }
        #expect(throws: CodeError.unknownProvince(prefix: "00")) { try Division.check("001800") }
        #expect(throws: CodeError.invalidCharacter(position: 3, character: "A")) { try Division.check("44A800") }
        #expect(throws: CodeError.length(expected: 6, actual: 5)) { try Division.check("44180") }
    }

    @Test func plateNumbers() throws {
        #expect(try PlateNumber.check("粤R12345", issuer: "441800") == .ordinary)
        #expect(try PlateNumber.check("湘A8K326", issuer: "430100") == .ordinary)
        #expect(try PlateNumber.check("粤AD12345", issuer: "440100") == .newEnergySmall)
        #expect(try PlateNumber.check("粤AFA1234") == .newEnergySmall)
        #expect(try PlateNumber.check("粤A12345D") == .newEnergyLarge)
        #expect(throws: CodeError.provinceMismatch(plateProvince: "湘", divisionCode: "441800")) {
            try PlateNumber.check("湘R12345", issuer: "441800")
        }
        #expect(throws: CodeError.issuerLetterMismatch(expected: "R", found: "A")) {
            try PlateNumber.check("粤A12345", issuer: "441800")
        }
        #expect(throws: CodeError.invalidCharacter(position: 2, character: "O")) { try PlateNumber.check("粤O12345") }
        #expect(throws: CodeError.invalidCharacter(position: 1, character: "X")) { try PlateNumber.check("XA12345") }
        #expect(throws: CodeError.plateFormat("粤AX12345")) { try PlateNumber.check("粤AX12345") }
        #expect(throws: CodeError.plateFormat("粤A1234I")) { try PlateNumber.check("粤A1234I") }
    }

    @Test func calendarDates() {
        #expect(CalendarDate(iso: "2024-02-29") != nil)
        #expect(CalendarDate(iso: "2023-02-29") == nil)
        #expect(CalendarDate(iso: "2023-2-28") == nil)
        #expect(CalendarDate(iso: "2023-13-01") == nil)
        #expect(CalendarDate(iso: "２０２３-01-01") == nil)
        #expect(CalendarDate(iso: "2024-02-29")?.adding(years: 1).description == "2025-02-28")
        #expect(CalendarDate(iso: "2024-12-31")?.adding(days: 1).description == "2025-01-01")
        #expect(CalendarDate(iso: "2024-03-01")?.adding(days: -1).description == "2024-02-29")
    }

    /// The day of an instant is the one Foundation's Gregorian calendar gives in UTC+8, on both
    /// sides of every midnight; instants outside years 1–9999 stop at their ends.
    @Test func theDayOfAnInstantIsTheCalendarsInChinaTime() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(secondsFromGMT: 8 * 3600))
        var generator = SystemRandomNumberGenerator()
        // 1600 to 2400 (before 1582 Foundation's calendar is Julian), and the midnights near now.
        let span = -11_676_096_000.0...13_569_465_600.0
        let midnight = 1_796_601_600.0 - 8 * 3600  // 2026-12-07 00:00 in UTC+8
        var instants = (0..<2000).map { _ in Double.random(in: span, using: &generator) }
        for day in -400...400 {
            instants += [-1, 0, 1].map { midnight + Double(day) * 86_400 + $0 }
        }
        for seconds in instants {
            let instant = Date(timeIntervalSince1970: seconds)
            let parts = calendar.dateComponents([.year, .month, .day], from: instant)
            #expect(CalendarDate(instant) == CalendarDate(year: parts.year ?? 0, month: parts.month ?? 0, day: parts.day ?? 0))
        }
        #expect(CalendarDate(Date(timeIntervalSince1970: 0)).description == "1970-01-01")
        #expect(CalendarDate(Date(timeIntervalSince1970: -8 * 3600 - 1)).description == "1969-12-31")
        #expect(CalendarDate(.distantFuture).description == "4001-01-01")
        #expect(CalendarDate(Date(timeIntervalSince1970: .greatestFiniteMagnitude)).description == "9999-12-31")
        #expect(CalendarDate(Date(timeIntervalSince1970: -.infinity)).description == "0001-01-01")
        #expect(CalendarDate(Date(timeIntervalSince1970: .nan)).description == "1970-01-01")
    }
}

/// Random valid codes pass; any single changed character fails; nothing traps on arbitrary text.
@Suite struct CodePropertyTests {
    private static let vinBody = Gen.element(of: VIN.alphabet).map { $0 ?? "0" }.array(of: 17)
    private static let digits17 = Gen.number.array(of: 17)
    private static let creditBody = Gen.element(of: SocialCreditCode.alphabet).map { $0 ?? "0" }.array(of: 17)

    @Test func randomValidVINPassesAndEveryValueChangeFails() async {
        await propertyCheck(count: 200, input: Self.vinBody, Gen.int(in: 0...16), Gen.element(of: VIN.alphabet)) {
            body, position, replacement in
            var characters = body
            characters[8] = VIN.checkCharacter(for: String(body)) ?? "0"
            let vin = String(characters)
            #expect(throws: Never.self) { try VIN.check(vin) }
            guard let replacement, replacement != characters[position] else { return }
            // Letters share values (A and J are both 1): the check only sees a change of value.
            if position != 8, value(replacement) == value(characters[position]) { return }
            let changed = String(replaced(characters, position, replacement))
            #expect(throws: CodeError.self) { try VIN.check(changed) }
        }
    }

    @Test func randomValidIdentityNumberPassesAndAnyChangedDigitFails() async {
        await propertyCheck(count: 200, input: Self.digits17, Gen.int(in: 0...17), Gen.number) { body, position, replacement in
            var characters = Array("440524")
            characters += Array("19800101")
            characters += body.suffix(3)
            characters.append(ResidentID.checkCharacter(for: String(characters)) ?? "0")
            #expect(throws: Never.self) { try ResidentID.check(String(characters), today: testDay) }
            guard replacement != characters[position] else { return }
            #expect(throws: CodeError.self) { try ResidentID.check(String(replaced(characters, position, replacement)), today: testDay) }
        }
    }

    @Test func randomValidCreditCodePassesAndAnyChangeFails() async {
        await propertyCheck(count: 200, input: Self.creditBody, Gen.int(in: 0...17), Gen.element(of: SocialCreditCode.alphabet)) {
            body, position, replacement in
            let code = body + [SocialCreditCode.checkCharacter(for: String(body)) ?? "0"]
            #expect(throws: Never.self) { try SocialCreditCode.check(String(code)) }
            guard let replacement, replacement != code[position] else { return }
            #expect(throws: CodeError.self) { try SocialCreditCode.check(String(replaced(code, position, replacement))) }
        }
    }

    @Test func validatorsNeverTrapOnArbitraryText() async {
        let anyText = Gen.unicodeScalar(in: "\u{0}"..."\u{2FFF}").map { Character($0) }.string(of: 0...24)
        await propertyCheck(count: 300, input: anyText) { text in
            _ = try? VIN.check(text)
            _ = try? ResidentID.check(text, today: testDay)
            _ = try? SocialCreditCode.check(text)
            _ = try? Division.check(text)
            _ = try? PlateNumber.check(text, issuer: "441800")
            _ = CalendarDate(iso: text)
            _ = VIN.checkCharacter(for: text)
            _ = ResidentID.checkCharacter(for: text)
            _ = SocialCreditCode.checkCharacter(for: text)
        }
    }
}

private func replaced(_ characters: [Character], _ position: Int, _ replacement: Character) -> [Character] {
    var copy = characters
    copy[position] = replacement
    return copy
}

private func value(_ character: Character) -> Int? {
    let values: [Character: Int] = [
        "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8, "J": 1, "K": 2, "L": 3, "M": 4, "N": 5,
        "P": 7, "R": 9, "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
    ]
    return character.wholeNumberValue ?? values[character]
}
