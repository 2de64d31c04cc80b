import DossierModel
import DossierText
import Foundation

/// The few record fields `inspect` shows, the owner's name masked (its output ends up in
/// tickets and chats). A record the strict decoder refuses is shown as absent; `verify` says why.
struct RecordSummary: Encodable {
    var vin: String
    var plate: String
    var owner: String
    var vehicle: String
    var managingOffice: String
    var transfer: String?
    var documents: [String]

    init?(json: Data) {
        guard let record = try? DossierRecord.decode(json) else { return nil }
        vin = record.vehicle.vin
        plate = record.plate.number
        owner = PersonalData.maskName(record.owner.name)
        vehicle = "\(record.vehicle.brand) \(record.vehicle.model)"
        managingOffice = record.registration.managingOffice
        transfer = record.transfer.map { "\($0.fromOffice) → \($0.toOffice)" }
        documents = record.documents.map { "\($0.kind): \($0.file)" }
    }

    var lines: [String] {
        CtlText.recordLines(
            vin: vin, plate: plate, vehicle: vehicle, owner: owner, managingOffice: managingOffice, transfer: transfer, documents: documents
        )
    }
}
