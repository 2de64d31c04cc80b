import Foundation

/// The DA/T 70-2018 four-property check (四性检测) a receiving authority runs on an opened archive.
public enum FourPropertyCheck {
    /// Every failed item, in a stable order, for the receiver's rejection receipt.
    ///
    /// - Parameters:
    ///   - bagInfo: bag-info.txt fields, label → value, in file order.
    ///   - record: the raw bytes of `data/dossier.json`, nil if absent.
    ///   - documents: samples of every file under `data/documents/`.
    ///   - today: dates that cannot lie in the future are compared with this day.
    /// Checks: the record is present (integrity), parses (usability) and validates
    /// (authenticity, `invalid-record`); it agrees with bag-info (`Vehicle-VIN`, `Vehicle-Plate`,
    /// `Origin-Authority`, `Destination-Authority`, `Dossier-Schema`; `record-mismatch`); every
    /// listed document is present and every present one listed (integrity); each document is of
    /// its declared format (authenticity), readable (usability) and safe (security).
    public static func run(
        bagInfo: [(String, String)], record: Data?, documents: [DocumentSample],
        today: Date = Date()
    ) -> [Finding] {
        var findings: [Finding] = []
        guard let record else {
            findings.append(Finding(.integrity, "missing-record", "data/dossier.json is absent"))
            findings += documents.flatMap { DocumentFormat.inspect($0, declared: nil) }
            return findings
        }
        let parsed: DossierRecord
        do {
            parsed = try DossierRecord.decode(record)
        } catch {
            findings.append(Finding(.usability, "malformed-record", "data/dossier.json: \(error.description)"))
            findings += documents.flatMap { DocumentFormat.inspect($0, declared: nil) }
            return findings
        }
        for problem in RecordValidator.validate(parsed, dossierDirectory: nil, today: today) {
            findings.append(
                Finding(
                    .authenticity, "invalid-record",
                    "\(problem.code) at \(problem.field ?? "(record)"): \(problem.message)"))
        }
        findings += agreement(bagInfo: bagInfo, record: parsed)
        findings += documentFindings(parsed.documents, documents)
        return findings
    }

    private static func agreement(bagInfo: [(String, String)], record: DossierRecord) -> [Finding] {
        var findings: [Finding] = []
        func values(_ label: String) -> [String] {
            bagInfo.filter { $0.0.caseInsensitiveCompare(label) == .orderedSame }.map { $0.1.trimmingCharacters(in: .whitespaces) }
        }
        func expect(_ label: String, _ allowed: [String]) {
            let found = values(label)
            guard let value = found.first else {
                findings.append(Finding(.integrity, "missing-metadata", "bag-info.txt has no \(label)"))
                return
            }
            if found.count > 1 || !allowed.contains(value) {
                findings.append(
                    Finding(
                        .authenticity, "record-mismatch",
                        "bag-info \(label) is \(found.joined(separator: ", ")), the record says \(allowed.joined(separator: " or "))"))
            }
        }
        expect("Vehicle-VIN", [record.vehicle.vin])
        expect("Vehicle-Plate", [record.plate.number])
        expect("Origin-Authority", [record.registration.managingOffice] + [record.transfer?.fromOffice].compactMap { $0 })
        if let toOffice = record.transfer?.toOffice {
            expect("Destination-Authority", [toOffice])
        } else {
            findings.append(Finding(.authenticity, "record-mismatch", "the record has no transfer section naming a destination"))
        }
        let schemas = values("Dossier-Schema")
        if let schema = schemas.first, schema != record.schema {
            findings.append(
                Finding(.authenticity, "record-mismatch", "bag-info Dossier-Schema is \(schema), the record is \(record.schema)"))
        }
        return findings
    }

    private static func documentFindings(_ entries: [DocumentEntry], _ samples: [DocumentSample]) -> [Finding] {
        var findings: [Finding] = []
        var byPath: [String: DocumentSample] = [:]
        for sample in samples { byPath[sample.path] = sample }
        var declared: [String: MediaType] = [:]
        for entry in entries {
            guard DossierPath.isDocumentPath(entry.file) else {
                findings.append(Finding(.security, "path-escape", "record document \(entry.file) is not under documents/"))
                continue
            }
            if let earlier = declared[entry.file], earlier != entry.mediaType {
                findings.append(
                    Finding(
                        .authenticity, "format-mismatch",
                        "\(entry.file) is declared both \(earlier.rawValue) and \(entry.mediaType.rawValue)"))
            }
            declared[entry.file] = declared[entry.file] ?? entry.mediaType
            if byPath[entry.file] == nil {
                findings.append(Finding(.integrity, "missing-document", "\(entry.file) is listed in the record but absent"))
            }
        }
        for sample in samples.sorted(by: { $0.path < $1.path }) {
            let type = declared[sample.path]
            if type == nil {
                findings.append(Finding(.integrity, "unlisted-document", "\(sample.path) is not listed in the record"))
            }
            findings += DocumentFormat.inspect(sample, declared: type)
        }
        return findings
    }
}
