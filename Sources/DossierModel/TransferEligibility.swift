import Foundation

/// Decides whether a vehicle may be transferred to another authority (Order 164 arts. 15, 18,
/// 25–29, 76; docs/domain.md). Pure; never traps.
public enum TransferEligibility {
    /// Every rule of `policy` that blocks transferring `record` to `destination` (a division
    /// code), each with its stable code, the field it used as evidence, and messages in English
    /// and Chinese; empty if the transfer may go ahead. `today` is taken in China time.
    public static func evaluate(
        _ record: DossierRecord, destination: String, policy: TransferPolicy,
        today: Date
    ) -> [Problem] {
        var rules = Rules(record: record, policy: policy, today: CalendarDate(today))
        rules.run(destination: destination)
        return rules.problems
    }
}

private struct Rules {
    let record: DossierRecord
    let policy: TransferPolicy
    let today: CalendarDate
    let status: Set<Character>
    let enabled: Set<EligibilityRule>
    let kinds: Set<String>
    var problems: [Problem] = []

    init(record: DossierRecord, policy: TransferPolicy, today: CalendarDate) {
        self.record = record
        self.policy = policy
        self.today = today
        status = Set(record.registration.status)
        enabled = Set(policy.enabledRules)
        kinds = Set(record.documents.map(\.kind))
    }

    mutating func run(destination: String) {
        scope()
        encumbrancesAndStatus()
        scrap()
        pending()
        inspection()
        documents()
        agreement(destination: destination)
        emission(destination: destination)
    }

    private mutating func scope() {
        let vehicle = record.vehicle
        if !policy.vehicleTypes.contains(vehicle.vehicleType) {
            block(
                .outOfScope, "vehicle.vehicleType",
                "vehicle type \(vehicle.vehicleType) is not in scope (\(policy.vehicleTypes.joined(separator: ", ")))",
                "车辆类型\(vehicle.vehicleType)不在跨省通办范围内")
        }
        if !policy.useNatures.contains(vehicle.useNature) {
            block(
                .outOfScope, "vehicle.useNature",
                "use nature \(vehicle.useNature) is not in scope (\(policy.useNatures.joined(separator: ", ")))",
                "使用性质\(vehicle.useNature)不在跨省通办范围内")
        }
    }

    private mutating func encumbrancesAndStatus() {
        let zt = record.registration.status
        let seizure = record.encumbrances.seizure
        if seizure.active {
            block(
                .seized, "encumbrances.seizure.active", "the vehicle is seized by \(seizure.authority)",
                "机动车已被\(seizure.authority)查封")
        } else if has("KL") {
            block(
                .seized, "registration.status", "status \(zt) marks the vehicle seized or detained",
                "机动车状态\(zt)表示已被查封或扣押")
        }
        if has("CJ") {
            block(
                .stolenOrSuspect, "registration.status", "status \(zt) marks the vehicle stolen, robbed or suspect; all business stops",
                "机动车状态\(zt)表示被盗抢或嫌疑车辆，停止办理一切业务")
        }
        if (has("H") || record.encumbrances.customsSupervision) && !kinds.contains(DocumentKind.customsRelease.rawValue) {
            block(
                .customsWithoutRelease, has("H") ? "registration.status" : "encumbrances.customsSupervision",
                "the vehicle is under customs supervision and no customs-release document is attached",
                "机动车处于海关监管期，未附海关解除监管证明")
        }
        let mortgage = record.encumbrances.mortgage
        if mortgage.active && mortgage.mortgageeConsent != true {
            block(
                .mortgageWithoutConsent, "encumbrances.mortgage.mortgageeConsent",
                "the vehicle is mortgaged to \(mortgage.mortgagee) and the mortgagee's consent is not recorded",
                "机动车已抵押给\(mortgage.mortgagee)，未记录抵押权人同意")
        }
        if has("EMB") {
            block(
                .deregisteredOrTransferred, "registration.status", "status \(zt) marks the vehicle deregistered or already transferred out",
                "机动车状态\(zt)表示已注销或已转出")
        }
    }

    private mutating func scrap() {
        let deadline = record.registration.scrapDeadline
        if has("P") {
            block(
                .scrapStandard, "registration.status",
                "status \(record.registration.status) marks the vehicle as having reached the scrap standard",
                "机动车状态\(record.registration.status)表示已达到报废标准")
        }
        if deadline <= today.adding(years: policy.scrapDeadlineMarginYears) {
            block(
                .scrapDeadline, "registration.scrapDeadline",
                "scrap deadline \(deadline) is within \(policy.scrapDeadlineMarginYears) year(s) of \(today)",
                "强制报废期止\(deadline)距今（\(today)）不足\(policy.scrapDeadlineMarginYears)年")
        }
    }

    private mutating func pending() {
        let counts = record.pending
        if counts.unsettledViolations > 0 {
            block(
                .unsettledViolations, "pending.unsettledViolations", "\(counts.unsettledViolations) traffic violation(s) are unsettled",
                "有\(counts.unsettledViolations)起交通违法未处理")
        } else if has("G") {
            block(
                .unsettledViolations, "registration.status", "status \(record.registration.status) marks unsettled violations",
                "机动车状态\(record.registration.status)表示有违法未处理")
        }
        if counts.unsettledAccidents > 0 {
            block(
                .unsettledAccidents, "pending.unsettledAccidents", "\(counts.unsettledAccidents) traffic accident(s) are unsettled",
                "有\(counts.unsettledAccidents)起交通事故未处理")
        } else if has("IN") {
            block(
                .unsettledAccidents, "registration.status",
                "status \(record.registration.status) marks an unsettled accident or hit-and-run",
                "机动车状态\(record.registration.status)表示有事故未处理或肇事逃逸")
        }
    }

    private mutating func inspection() {
        let validUntil = record.registration.inspectionValidUntil
        guard has("Q") || validUntil < today else { return }
        let missing = [DocumentKind.safetyInspectionCertificate, .compulsoryInsurance].filter { !kinds.contains($0.rawValue) }
        guard !missing.isEmpty else { return }
        let names = missing.map(\.rawValue).joined(separator: ", ")
        block(
            .inspectionExpiredWithoutCertificate, "registration.inspectionValidUntil",
            "inspection expired (valid until \(validUntil), status \(record.registration.status)) and \(names) is missing",
            "检验已过期（有效期至\(validUntil)），缺少\(names)")
    }

    private mutating func documents() {
        guard enabled.contains(.missingDocument) else { return }
        for kind in policy.requiredDocuments where !kinds.contains(kind.rawValue) {
            problems.append(
                Problem(
                    code: "missing-document:\(kind.rawValue)", field: "documents",
                    message: "required document \(kind.rawValue) is missing",
                    messageZh: "缺少必需文件\(kind.rawValue)"))
        }
    }

    private mutating func agreement(destination: String) {
        guard let transfer = record.transfer else {
            block(
                .recordMismatch, "transfer", "the record has no transfer section for destination \(destination)",
                "记录中没有转往\(destination)的转移信息")
            return
        }
        if transfer.toOffice != destination {
            block(
                .recordMismatch, "transfer.toOffice", "the record transfers to \(transfer.toOffice), not to \(destination)",
                "记录的转入地为\(transfer.toOffice)，不是\(destination)")
        }
        if transfer.fromOffice != record.registration.managingOffice {
            block(
                .recordMismatch, "transfer.fromOffice",
                "transfer origin \(transfer.fromOffice) is not the managing office \(record.registration.managingOffice)",
                "转出地\(transfer.fromOffice)与管理部门\(record.registration.managingOffice)不一致")
        }
    }

    private mutating func emission(destination: String) {
        guard let accepted = policy.destinations[destination]?.acceptedEmissionStandards,
            !accepted.contains(record.vehicle.emissionStandard)
        else { return }
        block(
            .emissionStandard, "vehicle.emissionStandard",
            "emission standard \(record.vehicle.emissionStandard) is not accepted by \(destination) (\(accepted.joined(separator: ", ")))",
            "排放标准\(record.vehicle.emissionStandard)不符合\(destination)的迁入要求")
    }

    private func has(_ letters: String) -> Bool { letters.contains { status.contains($0) } }

    private mutating func block(_ rule: EligibilityRule, _ field: String, _ message: String, _ messageZh: String) {
        guard enabled.contains(rule) else { return }
        problems.append(Problem(code: rule.rawValue, field: field, message: message, messageZh: messageZh))
    }
}
