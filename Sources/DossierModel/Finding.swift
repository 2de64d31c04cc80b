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

    /// A finding about `property`, with a stable `code` and a human-readable `detail` naming the
    /// file or field. A detail over `longestDetail` bytes of UTF-8 is cut there (at a character)
    /// and says how long it was: details quote what an archive holds (a path, a bag-info value),
    /// and a peer must not make each rejection it causes cost megabytes of disk and memory.
    public init(_ property: ArchiveProperty, _ code: String, _ detail: String) {
        self.property = property
        self.code = code
        self.detail = Self.bounded(detail)
    }

    /// `findings` when there are at most `limit` (≥ 1); otherwise `limit - 1` of them — the
    /// first of each code, then others in their order — and a `more-findings` one
    /// counting the rest by code. A receipt quotes every reason it gives, and an archive can
    /// have thousands (a manifest naming 6,000 missing files): unbounded, the receipt outgrows
    /// what a sender reads of an answer, and the rejection is lost as evidence. Every code found
    /// stays among the reasons (up to `limit - 1` codes), so a bad signature is never only a
    /// count behind forty missing files.
    public static func bounded(_ findings: [Finding], limit: Int) -> [Finding] {
        guard findings.count > max(1, limit) else { return findings }
        let room = max(0, limit - 1)
        var seen = Set<String>()
        var chosen = Set<Int>()
        for (index, finding) in findings.enumerated() where chosen.count < room && seen.insert(finding.code).inserted {
            chosen.insert(index)
        }
        let firstOfCode = chosen
        for index in findings.indices where chosen.count < room { chosen.insert(index) }
        var counts: [(code: String, count: Int)] = []
        for (index, finding) in findings.enumerated() where !chosen.contains(index) {
            if let at = counts.firstIndex(where: { $0.code == finding.code }) {
                counts[at].count += 1
            } else {
                counts.append((finding.code, 1))
            }
        }
        let rest = counts.map { "\($0.code) ×\($0.count)" }.joined(separator: ", ")
        let more = Finding(.integrity, "more-findings", "and \(findings.count - room) more: \(rest)")
        // The first of each code leads, so that a shorter prefix (a quarantine record over its
        // quota keeps eight reasons) still names every kind of problem found.
        let firsts = findings.indices.filter { chosen.contains($0) && firstOfCode.contains($0) }
        let others = findings.indices.filter { chosen.contains($0) && !firstOfCode.contains($0) }
        return (firsts + others).map { findings[$0] } + [more]
    }

    /// The most UTF-8 bytes of a detail kept before it is cut.
    public static let longestDetail = 1024

    private static func bounded(_ detail: String) -> String {
        let length = detail.utf8.count
        guard length > longestDetail else { return detail }
        // The slice's end is rounded down to a whole scalar: a character cut in two is dropped.
        return Substring(detail.utf8.prefix(longestDetail)).description + "… (\(length) bytes in all)"
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
