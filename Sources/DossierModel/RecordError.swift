/// Why a `dossier.json` could not be read as a `dossier/1` record. Paths use dots and
/// indices, e.g. `documents[2].mediaType`.
public enum RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The bytes are not JSON.
    case malformedJSON(detail: String)
    /// The JSON is not an object at the top level.
    case notAnObject
    /// The schema name is not `dossier/1`.
    case unsupportedSchema(found: String)
    /// A required key is absent.
    case missingKey(path: String)
    /// A key the schema does not define.
    case unknownKey(path: String)
    /// A value of the wrong JSON type, or null where a value is required.
    case wrongType(path: String, expected: String)
    /// A value of the right type that is not allowed (bad date, unknown enum value).
    case invalidValue(path: String, reason: String)

    init(_ error: DecodingError) {
        switch error {
        case .keyNotFound(let key, let context):
            self = .missingKey(path: RecordError.path(context.codingPath + [key]))
        case .typeMismatch(let type, let context):
            self = .wrongType(path: RecordError.path(context.codingPath), expected: String(describing: type))
        case .valueNotFound(let type, let context):
            self = .wrongType(path: RecordError.path(context.codingPath), expected: String(describing: type))
        case .dataCorrupted(let context):
            self = .invalidValue(path: RecordError.path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            self = .malformedJSON(detail: String(describing: error))
        }
    }

    /// The field path the error is about, when it is about one.
    public var field: String? {
        switch self {
        case .malformedJSON, .notAnObject: return nil
        case .unsupportedSchema: return "schema"
        case .missingKey(let path), .unknownKey(let path), .wrongType(let path, _), .invalidValue(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .malformedJSON(let detail): return "dossier.json is not valid JSON: \(detail)"
        case .notAnObject: return "dossier.json is not a JSON object"
        case .unsupportedSchema(let found): return "schema \"\(found)\" is not \(DossierRecord.schemaName)"
        case .missingKey(let path): return "required field \(path) is missing"
        case .unknownKey(let path): return "unknown field \(path)"
        case .wrongType(let path, let expected): return "field \(path) must be \(expected)"
        case .invalidValue(let path, let reason): return "field \(path) is invalid: \(reason)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text.isEmpty ? "(record)" : text
    }
}
