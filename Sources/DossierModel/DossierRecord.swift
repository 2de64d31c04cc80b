import Foundation

/// A vehicle's registration record, schema `dossier/1` (docs/domain.md "The record").
///
/// The JSON form is stable: camelCase keys, ISO 8601 calendar dates, sorted keys. A later schema
/// gets its own type and name, so old and new records can be read side by side.
public struct DossierRecord: Codable, Sendable, Equatable {
    /// The schema name this type reads and writes.
    public static let schemaName = "dossier/1"

    public var schema: String
    public var plate: Plate
    public var vehicle: Vehicle
    public var owner: Owner
    public var registration: Registration
    public var encumbrances: Encumbrances
    public var pending: Pending
    public var history: [HistoryEvent]
    public var transfer: Transfer?
    public var documents: [DocumentEntry]

    /// A record of the current schema holding the values as given; `RecordValidator` checks them.
    public init(
        plate: Plate, vehicle: Vehicle, owner: Owner, registration: Registration,
        encumbrances: Encumbrances, pending: Pending, history: [HistoryEvent],
        transfer: Transfer?, documents: [DocumentEntry]
    ) {
        schema = DossierRecord.schemaName
        self.plate = plate
        self.vehicle = vehicle
        self.owner = owner
        self.registration = registration
        self.encumbrances = encumbrances
        self.pending = pending
        self.history = history
        self.transfer = transfer
        self.documents = documents
    }

    /// Decodes strictly: the JSON must be an object of schema `dossier/1` with every required key,
    /// values of the right type, and no unknown key anywhere.
    /// - Throws: `RecordError` naming the field path (e.g. `vehicle.colour`) and the reason.
    public static func decode(_ data: Data) throws(RecordError) -> DossierRecord {
        let tree: Any
        do {
            tree = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw .malformedJSON(detail: error.localizedDescription)
        }
        guard let object = tree as? [String: Any] else { throw .notAnObject }
        guard let schema = object["schema"] as? String else { throw .missingKey(path: "schema") }
        guard schema == schemaName else { throw .unsupportedSchema(found: schema) }

        let record: DossierRecord
        do {
            record = try JSONDecoder().decode(DossierRecord.self, from: data)
        } catch let error as DecodingError {
            throw RecordError(error)
        } catch {
            throw .malformedJSON(detail: error.localizedDescription)
        }
        if let unknown = StrictKeys.firstUnknownKey(in: tree, known: record.jsonTree()) {
            throw .unknownKey(path: unknown)
        }
        return record
    }

    /// The stable JSON form: sorted keys, pretty printed, ISO 8601 dates, no escaped slashes.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        // Every member encodes to plain strings, numbers and booleans, so encoding cannot fail.
        return (try? encoder.encode(self)) ?? Data()
    }

    /// The keys this record encodes to, as a tree (`KeyShape`).
    private func jsonTree() -> KeyShape.Node { (try? KeyShape.of(self)) ?? KeyShape.Node(key: nil, parent: nil) }
}
