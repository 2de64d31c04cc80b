import DossierArchive
import Foundation

/// The archives an inbox folder holds as accepted (`<id>.dva` committed by its `<id>.json`),
/// by the vehicle their bag-info names (`Vehicle-VIN`): one dossier that reached a destination
/// twice shows as a VIN with two archive ids, which unique archive ids alone do not reveal.
/// - Throws: when the folder or an archive cannot be read.
func archivesByVehicle(inbox folder: URL) throws -> [String: [String]] {
    let names = Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
    var byVehicle: [String: [String]] = [:]
    for name in names.sorted() where name.hasSuffix(".dva") && names.contains(name.dropLast(4) + ".json") {
        let report = try ArchiveInspector.inspect(path: folder.appendingPathComponent(name).path).report
        let vin = report.bagInfo.first { $0.label == BagInfo.Label.vin }?.value ?? "(none)"
        byVehicle[vin, default: []].append(report.archiveId ?? name)
    }
    return byVehicle
}
