import DossierModel

/// Builds one sample record from a random source; see `SampleGenerator`.
struct SampleRecordFactory {
    var random: SampleRandom
    let from: SampleOffice
    let to: SampleOffice
    let today: CalendarDate

    private static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高梁郑谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余")
    private static let givenNames = [
        "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰",
        "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "建华", "志强", "晓东", "海燕", "文博", "嘉怡",
    ]
    private static let companyWords = ["宏达", "顺通", "恒信", "华骏", "广汇", "远航", "鸿运", "南方"]
    private static let roads = ["人民路", "建设路", "解放路", "中山路", "和平路", "新华路", "文化路", "滨江路", "光明街", "朝阳街"]
    private static let colors = ["白", "黑", "银", "灰", "红", "蓝"]
    private static let cars: [(brand: String, model: String, wmi: String)] = [
        ("大众", "FV7152BBDBG", "LFV"), ("丰田", "GTM7200GE", "LVG"), ("本田", "GHA7150AAC6A", "LHG"),
        ("别克", "SGM7151DAA2", "LSG"), ("吉利", "MR7153A02", "L6T"), ("长安", "SC7164AAA6", "LS5"),
    ]
    private static let electricCars: [(brand: String, model: String, wmi: String)] = [
        ("比亚迪", "BYD7005BEV2", "LGX"), ("广汽埃安", "GAM7000BEVA0E", "LMG"),
    ]
    private static let yearLetters: [Int: Character] = [
        2015: "F", 2016: "G", 2017: "H", 2018: "J", 2019: "K", 2020: "L",
        2021: "M", 2022: "N", 2023: "P",
    ]
    private static let documentMedia: [(DocumentKind, SampleDocuments.Format)] = [
        (.applicationForm, .pdf), (.ownerID, .jpeg), (.ownershipProof, .pdf), (.inspectionRecord, .pdf),
        (.vehiclePhoto, .jpeg), (.vinRubbing, .png), (.compulsoryInsurance, .pdf),
    ]

    mutating func make(documents fileCount: Int) -> SampleGenerator.Plan {
        let electric = random.int(0...3) == 3
        let car = random.pick(electric ? Self.electricCars : Self.cars)
        let year = random.int(2016...2022)
        let manufactured = day(year: year)
        let firstRegistration = manufactured.adding(days: random.int(20...150))
        let vin = makeVIN(wmi: car.wmi, year: year)
        let plate =
            electric
            ? from.platePrefix + random.pick(["D", "F"]) + String(random.pick(VIN.alphabet)) + digits(4)
            : from.platePrefix + String(random.pick(Array("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"))) + digits(4)
        let ownerDistrict = random.pick(from.districts)
        let buyerDistrict = random.pick(to.districts)
        let agreed = today.adding(days: -random.int(1...5))
        let record = DossierRecord(
            plate: Plate(number: plate, type: electric ? "52" : "02", issuer: from.code),
            vehicle: Vehicle(
                vin: vin, engineNumber: electric ? "TZ" + digits(8) : "E" + digits(7) + "A",
                brand: car.brand, model: car.model, vehicleType: "K33", bodyColor: random.pick(Self.colors),
                useNature: "non-operating", fuel: electric ? "electric" : "petrol",
                emissionStandard: electric ? "none" : "国六", manufactureDate: manufactured, origin: "domestic"),
            owner: owner(district: ownerDistrict),
            registration: Registration(
                certificateNumber: String(from.code.prefix(2)) + digits(10), firstRegistrationDate: firstRegistration,
                inspectionValidUntil: today.adding(days: random.int(120...700)), scrapDeadline: firstRegistration.adding(years: 15),
                insuranceValidUntil: today.adding(days: random.int(60...360)), status: "A", managingOffice: from.code),
            encumbrances: Encumbrances(
                mortgage: Mortgage(active: false, mortgagee: "", since: nil),
                seizure: Seizure(active: false, authority: ""), customsSupervision: false),
            pending: Pending(unsettledViolations: 0, unsettledAccidents: 0),
            history: [HistoryEvent(event: .registration, date: firstRegistration, office: from.code)],
            transfer: Transfer(
                fromOffice: from.code, toOffice: to.code,
                buyer: Buyer(name: name(), idType: .residentID, idNumber: residentID(buyerDistrict.code)),
                agreedOn: agreed, temporaryPlateValidUntil: agreed.adding(days: 30)),
            documents: [])
        return documentPlan(record, files: max(1, fileCount))
    }

    /// Lays `files` document files over the kinds: one kind each, the last file standing for any
    /// kinds left over, extra files being more vehicle photos.
    private func documentPlan(_ record: DossierRecord, files: Int) -> SampleGenerator.Plan {
        var plan = SampleGenerator.Plan(record: record, files: [])
        let kinds = Self.documentMedia
        for index in 0..<files {
            let (kind, format) = index < kinds.count ? kinds[index] : (.vehiclePhoto, .jpeg)
            let number = index + 1 < 10 ? "0\(index + 1)" : "\(index + 1)"
            let path = "documents/\(number)-\(kind.rawValue).\(format.fileExtension)"
            plan.files.append(SampleGenerator.FilePlan(path: path, format: format, title: "\(kind.rawValue) \(record.vehicle.vin)"))
            plan.record.documents.append(DocumentEntry(kind: kind.rawValue, file: path, mediaType: format.mediaType))
            if index == files - 1 {
                let required = TransferPolicy.default.requiredDocuments.map(\.rawValue)
                for kind in required where !plan.record.documents.contains(where: { $0.kind == kind }) {
                    plan.record.documents.append(DocumentEntry(kind: kind, file: path, mediaType: format.mediaType))
                }
            }
        }
        return plan
    }

    /// Changes `plan` so that exactly `rule` blocks the transfer under the default policy.
    static func breakRule(_ rule: String, in plan: inout SampleGenerator.Plan, today: CalendarDate, otherOffice: String) {
        var record = plan.record
        switch EligibilityRule(rawValue: rule) {
        case .outOfScope: record.vehicle.useNature = "operating"
        case .seized:
            record.registration.status = "K"
            record.encumbrances.seizure = Seizure(active: true, authority: "人民法院")
        case .stolenOrSuspect: record.registration.status = "C"
        case .scrapStandard: record.registration.status = "P"
        case .scrapDeadline: record.registration.scrapDeadline = today.adding(days: 120)
        case .customsWithoutRelease:
            record.registration.status = "H"
            record.encumbrances.customsSupervision = true
            record.vehicle.origin = "import"
        case .unsettledViolations:
            record.registration.status = "G"
            record.pending.unsettledViolations = 2
        case .unsettledAccidents:
            record.registration.status = "I"
            record.pending.unsettledAccidents = 1
        case .mortgageWithoutConsent:
            record.encumbrances.mortgage = Mortgage(
                active: true, mortgagee: "中国工商银行股份有限公司",
                since: record.registration.firstRegistrationDate, mortgageeConsent: false)
        case .inspectionExpiredWithoutCertificate:
            record.registration.status = "Q"
            record.registration.inspectionValidUntil = today.adding(days: -45)
        case .deregisteredOrTransferred: record.registration.status = "B"
        case .recordMismatch: record.transfer?.toOffice = otherOffice
        case .missingDocument, .emissionStandard, nil:
            // `plan` admits only `breakableRules`, so what reaches here is `missing-document:<kind>`.
            let kind = String(rule.dropFirst("missing-document:".count))
            record.documents.removeAll { $0.kind == kind }
            let used = Set(record.documents.map(\.file))
            plan.files.removeAll { !used.contains($0.path) }
        }
        plan.record = record
    }

    private mutating func makeVIN(wmi: String, year: Int) -> String {
        let letters = VIN.alphabet
        var body = wmi
        for _ in 0..<5 { body.append(random.pick(letters)) }
        body.append("0")
        body.append(Self.yearLetters[year] ?? "L")
        body.append(random.pick(letters))
        body += digits(6)
        guard let check = VIN.checkCharacter(for: body) else { return body }
        var characters = Array(body)
        characters[8] = check
        return String(characters)
    }

    /// One owner in five is a company (a dealer or a leasing firm), identified by its credit code.
    private mutating func owner(district: (code: String, name: String)) -> Owner {
        let address = address(from, district.name)
        guard random.int(0...4) == 0 else {
            return Owner(
                name: name(), idType: .residentID, idNumber: residentID(district.code), address: address,
                divisionCode: district.code)
        }
        var body = "91" + district.code
        for _ in 0..<9 { body.append(random.pick(Array(SocialCreditCode.alphabet.prefix(10)) + ["M", "A"])) }
        let code = body + String(SocialCreditCode.checkCharacter(for: body) ?? "0")
        let company = from.city + random.pick(Self.companyWords) + "汽车销售服务有限公司"
        return Owner(name: company, idType: .uscc, idNumber: code, address: address, divisionCode: district.code)
    }

    private mutating func residentID(_ district: String) -> String {
        let birth = day(year: random.int(1960...2002))
        let body = district + String(birth.description.filter(\.isASCIIDigit)) + digits(3)
        return body + String(ResidentID.checkCharacter(for: body) ?? "0")
    }

    private mutating func name() -> String {
        String(random.pick(Self.surnames)) + random.pick(Self.givenNames)
    }

    private mutating func address(_ office: SampleOffice, _ district: String) -> String {
        office.province + office.city + district + random.pick(Self.roads) + "\(random.int(1...399))号"
    }

    private mutating func day(year: Int) -> CalendarDate {
        CalendarDate(year: year, month: random.int(1...12), day: random.int(1...28)) ?? today
    }

    private mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(random.int(0...9))) })
    }
}
