/// The four properties of the DA/T 70-2018 check an archive undergoes at hand-over and receipt (四性检测).
public enum ArchiveProperty: String, Codable, Sendable {
    case authenticity, integrity, usability, security
}

/// One failed check of an archive, as it goes into a rejection receipt. The archive verifier
/// reports its own reasons (digest mismatch, path traversal, …) with this same type.
public struct Finding: Codable, Sendable, Equatable {
    public var property: ArchiveProperty
    public var code: String
    public var detail: String

    /// A finding about `property`, with a stable `code` and a human-readable `detail` naming the file or field.
    public init(_ property: ArchiveProperty, _ code: String, _ detail: String) {
        self.property = property
        self.code = code
        self.detail = detail
    }

    /// A short Chinese title for the finding codes this module produces; the code itself otherwise.
    public static func titleZh(_ code: String) -> String {
        switch code {
        case "empty-document": return "文件为空"
        case "unknown-format": return "文件格式无法识别"
        case "format-mismatch": return "文件实际格式与登记的格式不符"
        case "damaged-document": return "文件结构不完整"
        case "executable": return "文件为可执行程序"
        case "nested-archive": return "文件为压缩包"
        case "encrypted-pdf": return "PDF文件已加密"
        case "missing-record": return "缺少dossier.json"
        case "malformed-record": return "dossier.json无法读取"
        case "invalid-record": return "档案记录校验未通过"
        case "record-mismatch": return "档案记录与封装信息不一致"
        case "missing-document": return "缺少记录中列出的文件"
        case "unlisted-document": return "文件未在记录中列出"
        case "missing-metadata": return "缺少必需的封装信息"
        default: return code
        }
    }
}
