import Foundation

/// Checks every field of a decoded record: codes (VIN, identity numbers, credit codes, division
/// codes, plates, status letters), dates, and document entries; with a folder, also each
/// document's bytes. Pure apart from reading the documents named; never traps.
public enum RecordValidator {
    /// Status letters (zt) that exist.
    public static let statusLetters: Set<Character> = Set("ABCDEGHIJKLMNOPQ")

    /// Every problem in `record`, in field order; empty if it is valid.
    /// - Parameters:
    ///   - dossierDirectory: the dossier folder; when given, each listed document must exist under
    ///     `documents/` and be a readable, safe file of its declared format, and every file under
    ///     `documents/` must be listed.
    ///   - today: dates that cannot lie in the future are compared with this day (China time).
    public static func validate(_ record: DossierRecord, dossierDirectory: URL?, today: Date = Date()) -> [Problem] {
        var check = Checker(today: CalendarDate(today))
        check.record(record)
        if let dossierDirectory { check.files(record.documents, in: dossierDirectory) }
        return check.problems
    }
}

private struct Checker {
    let today: CalendarDate
    var problems: [Problem] = []

    init(today: CalendarDate) { self.today = today }

    mutating func record(_ record: DossierRecord) {
        if record.schema != DossierRecord.schemaName {
            add(
                "invalid-schema", "schema", "schema \"\(record.schema)\" is not \(DossierRecord.schemaName)",
                "模式“\(record.schema)”不是\(DossierRecord.schemaName)")
        }
        plate(record.plate)
        vehicle(record.vehicle)
        identity(record.owner.idType, record.owner.idNumber, field: "owner.idNumber")
        nonEmpty(record.owner.name, "owner.name")
        nonEmpty(record.owner.address, "owner.address")
        division(record.owner.divisionCode, "owner.divisionCode")
        registration(record.registration, manufactured: record.vehicle.manufactureDate)
        encumbrances(record.encumbrances)
        count(record.pending.unsettledViolations, "pending.unsettledViolations")
        count(record.pending.unsettledAccidents, "pending.unsettledAccidents")
        for (index, event) in record.history.enumerated() {
            past(event.date, "history[\(index)].date")
            division(event.office, "history[\(index)].office")
        }
        if let transfer = record.transfer { self.transfer(transfer) }
        documents(record.documents)
    }

    private mutating func plate(_ plate: Plate) {
        division(plate.issuer, "plate.issuer")
        let kind: PlateNumber.Kind?
        do {
            kind = try PlateNumber.check(plate.number, issuer: plate.issuer)
        } catch {
            kind = nil
            problems.append(Problem(code: "invalid-plate-number", field: "plate.number", value: plate.number, error: error))
        }
        guard PlateNumber.types.contains(plate.type) else {
            add(
                "invalid-plate-type", "plate.type", "plate type \"\(plate.type)\" is not a known hpzl code",
                "号牌种类“\(plate.type)”不是已知代码")
            return
        }
        let fits =
            switch kind {
            case .newEnergySmall: plate.type == "52"
            case .newEnergyLarge: plate.type == "51"
            case .ordinary: plate.type != "51" && plate.type != "52"
            case nil: true
            }
        if !fits {
            add(
                "invalid-plate-type", "plate.type", "plate type \(plate.type) does not fit plate \(plate.number)",
                "号牌种类\(plate.type)与号牌号码\(plate.number)不符")
        }
    }

    private mutating func vehicle(_ vehicle: Vehicle) {
        do { try VIN.check(vehicle.vin) } catch {
            problems.append(Problem(code: "invalid-vin", field: "vehicle.vin", value: vehicle.vin, error: error))
        }
        for (value, field) in [
            (vehicle.engineNumber, "engineNumber"), (vehicle.brand, "brand"), (vehicle.model, "model"),
            (vehicle.bodyColor, "bodyColor"), (vehicle.fuel, "fuel"),
            (vehicle.emissionStandard, "emissionStandard"), (vehicle.useNature, "useNature"),
        ] {
            nonEmpty(value, "vehicle." + field)
        }
        let type = Array(vehicle.vehicleType)
        if type.count != 3 || !(type[0].isASCII && type[0].isUppercase) || !type.dropFirst().allSatisfy(\.isASCIIDigit) {
            add(
                "invalid-vehicle-type", "vehicle.vehicleType", "vehicle type \"\(vehicle.vehicleType)\" is not a cllx code such as K33",
                "车辆类型“\(vehicle.vehicleType)”不是K33这样的代码")
        }
        if vehicle.origin != "domestic" && vehicle.origin != "import" {
            add(
                "invalid-origin", "vehicle.origin", "origin \"\(vehicle.origin)\" is neither domestic nor import",
                "车辆来源“\(vehicle.origin)”不是domestic或import")
        }
        past(vehicle.manufactureDate, "vehicle.manufactureDate")
    }

    private mutating func registration(_ registration: Registration, manufactured: CalendarDate) {
        nonEmpty(registration.certificateNumber, "registration.certificateNumber")
        past(registration.firstRegistrationDate, "registration.firstRegistrationDate")
        if registration.firstRegistrationDate < manufactured {
            add(
                "date-order", "registration.firstRegistrationDate",
                "first registration \(registration.firstRegistrationDate) is before manufacture \(manufactured)",
                "初次登记日期\(registration.firstRegistrationDate)早于出厂日期\(manufactured)")
        }
        let letters = Array(registration.status)
        let unknown = letters.filter { !RecordValidator.statusLetters.contains($0) }
        if letters.isEmpty || !unknown.isEmpty || Set(letters).count != letters.count {
            add(
                "invalid-status", "registration.status",
                "status \"\(registration.status)\" must be distinct letters from \(String(RecordValidator.statusLetters.sorted()))",
                "机动车状态“\(registration.status)”应为不重复的状态字母")
        }
        division(registration.managingOffice, "registration.managingOffice")
    }

    private mutating func encumbrances(_ encumbrances: Encumbrances) {
        if encumbrances.mortgage.active { nonEmpty(encumbrances.mortgage.mortgagee, "encumbrances.mortgage.mortgagee") }
        if let since = encumbrances.mortgage.since { past(since, "encumbrances.mortgage.since") }
        if encumbrances.seizure.active { nonEmpty(encumbrances.seizure.authority, "encumbrances.seizure.authority") }
    }

    private mutating func transfer(_ transfer: Transfer) {
        division(transfer.fromOffice, "transfer.fromOffice")
        division(transfer.toOffice, "transfer.toOffice")
        nonEmpty(transfer.buyer.name, "transfer.buyer.name")
        identity(transfer.buyer.idType, transfer.buyer.idNumber, field: "transfer.buyer.idNumber")
        past(transfer.agreedOn, "transfer.agreedOn")
        if transfer.temporaryPlateValidUntil < transfer.agreedOn {
            add(
                "date-order", "transfer.temporaryPlateValidUntil",
                "temporary plate expiry \(transfer.temporaryPlateValidUntil) is before the agreement \(transfer.agreedOn)",
                "临时号牌有效期\(transfer.temporaryPlateValidUntil)早于交易日期\(transfer.agreedOn)")
        }
    }

    private mutating func documents(_ documents: [DocumentEntry]) {
        for (index, entry) in documents.enumerated() {
            if DocumentKind(rawValue: entry.kind) == nil {
                add(
                    "unknown-document-kind", "documents[\(index)].kind", "document kind \"\(entry.kind)\" is not known",
                    "文件种类“\(entry.kind)”不是已知种类")
            }
            if !DossierPath.isDocumentPath(entry.file) {
                add(
                    "document-path-escape", "documents[\(index)].file",
                    "\"\(entry.file)\" is not a plain relative path under documents/",
                    "“\(entry.file)”不是documents/下的相对路径")
            }
        }
    }

    mutating func files(_ documents: [DocumentEntry], in directory: URL) {
        var listed: Set<String> = []
        for (index, entry) in documents.enumerated() where DossierPath.isDocumentPath(entry.file) {
            let field = "documents[\(index)].file"
            guard listed.insert(entry.file).inserted else { continue }
            let url = directory.appendingPathComponent(entry.file, isDirectory: false)
            guard DossierPath.isRegularFile(url) else {
                add(
                    "document-missing", field, "\(entry.file) does not exist or is not a regular file",
                    "\(entry.file)不存在或不是普通文件")
                continue
            }
            do {
                let sample = try DocumentSample.read(from: url, path: entry.file)
                problems += DocumentFormat.inspect(sample, declared: entry.mediaType).map { Problem($0, field: field) }
            } catch {
                add("document-unreadable", field, "\(entry.file) cannot be read", "\(entry.file)无法读取")
            }
        }
        for file in DossierPath.documentFiles(in: directory) where !listed.contains(file) {
            add("unlisted-document", "documents", "\(file) is not listed in the record", "\(file)未在记录中列出")
        }
    }

    private mutating func identity(_ type: IdentityType, _ number: String, field: String) {
        do {
            switch type {
            case .residentID: try ResidentID.check(number, today: today)
            case .uscc: try SocialCreditCode.check(number)
            }
        } catch {
            // The text travels to logs, `status` and intake/failed: never the whole number.
            problems.append(Problem(code: "invalid-id-number", field: field, value: PersonalData.maskIDNumber(number), error: error))
        }
    }

    private mutating func division(_ code: String, _ field: String) {
        do { try Division.check(code) } catch {
            problems.append(Problem(code: "invalid-division-code", field: field, value: code, error: error))
        }
    }

    /// Empty, or white space alone (Unicode `White_Space`: the characters Foundation's
    /// `.whitespacesAndNewlines` holds). Tested scalar by scalar: `trimmingCharacters(in:)` goes
    /// through `NSString` on Linux, for every name and address of every record checked.
    private mutating func nonEmpty(_ value: String, _ field: String) {
        if value.unicodeScalars.allSatisfy(\.properties.isWhitespace) {
            add("missing-value", field, "\(field) is empty", "\(field)为空")
        }
    }

    private mutating func count(_ value: Int, _ field: String) {
        if value < 0 { add("invalid-count", field, "\(field) is negative (\(value))", "\(field)为负数（\(value)）") }
    }

    private mutating func past(_ date: CalendarDate, _ field: String) {
        if date > today { add("date-in-future", field, "\(field) \(date) is after today \(today)", "\(field) \(date)晚于今天\(today)") }
    }

    private mutating func add(_ code: String, _ field: String, _ message: String, _ messageZh: String) {
        problems.append(Problem(code: code, field: field, message: message, messageZh: messageZh))
    }
}
