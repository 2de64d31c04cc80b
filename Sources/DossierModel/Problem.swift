/// One problem found in a record or a transfer: a stable code, the field path it concerns, and the
/// reason in English and Chinese with the evidence used.
public struct Problem: Codable, Sendable, Equatable {
    public var code: String
    public var field: String?
    public var message: String
    public var messageZh: String

    /// Stores the problem as given.
    public init(code: String, field: String?, message: String, messageZh: String) {
        self.code = code
        self.field = field
        self.message = message
        self.messageZh = messageZh
    }

    private enum CodingKeys: String, CodingKey { case code, field, message, messageZh }

    /// Encodes all four keys; `field` is null (not absent) when the problem concerns no single field.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(field, forKey: .field)
        try container.encode(message, forKey: .message)
        try container.encode(messageZh, forKey: .messageZh)
    }

    /// A problem for a field whose code failed its check.
    init(code: String, field: String, value: String, error: CodeError) {
        self.init(
            code: code, field: field, message: "\(field) \"\(value)\" \(error.message)",
            messageZh: "\(field)“\(value)”\(error.messageZh)")
    }

    /// A document problem found by inspecting the file's bytes.
    init(_ finding: Finding, field: String) {
        self.init(
            code: finding.code, field: field, message: finding.detail,
            messageZh: Finding.titleZh(finding.code) + "：" + finding.detail)
    }

    /// A record that could not be read at all.
    init(_ error: RecordError) {
        self.init(
            code: "malformed-record", field: error.field, message: error.description,
            messageZh: "dossier.json无法读取：" + error.description)
    }
}
