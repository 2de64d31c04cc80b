/// A list of market entities under joint credit restrictions (the joint reward and punishment
/// lists, 联合奖惩名单), keyed by unified social credit code, each with the list's reason.
/// A plain value, parsed strictly from its text form (docs/operations.md, "Credit list").
public struct CreditList: Sendable, Equatable {
    /// The reason the list gives, by credit code.
    public let reasons: [String: String]

    /// A list with these entries; the codes are taken as they are (see `parse` for a checked one).
    public init(reasons: [String: String]) {
        self.reasons = reasons
    }

    /// Parses the text form: one entry a line, a credit code, white space, then the reason
    /// (required); blank lines and lines starting with `#` are skipped. Every code must pass
    /// its check character (GB 32100) and appear once.
    /// - Throws: `CreditListError` naming `source` and the 1-based line of the first bad entry.
    public static func parse(_ text: String, source: String) throws(CreditListError) -> CreditList {
        var reasons: [String: String] = [:]
        for (index, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ problem: CreditListError.Problem) -> CreditListError {
                CreditListError(source: source, line: index + 1, problem: problem)
            }
            let code = String(line.prefix { !$0.isWhitespace })
            let reason = line.dropFirst(code.count).trimmingWhitespace()
            do throws(CodeError) {
                try SocialCreditCode.check(code)
            } catch {
                throw fail(.invalidCode(code, error))
            }
            guard !reason.isEmpty else { throw fail(.missingReason(code)) }
            guard reasons[code] == nil else { throw fail(.duplicate(code)) }
            reasons[code] = reason
        }
        return CreditList(reasons: reasons)
    }
}

/// What a listed party does to a transfer (`[policy.credit] action`).
public enum CreditAction: String, Sendable, Equatable, CaseIterable {
    /// The finding blocks packing, like an eligibility rule.
    case block
    /// The finding is reported and the dossier packed all the same.
    case warn
}

/// A credit list in force and what a hit on it does. A plain value, safe to share.
public struct CreditRestrictions: Sendable, Equatable {
    public var list: CreditList
    public var action: CreditAction

    /// The list with its action.
    public init(list: CreditList, action: CreditAction) {
        self.list = list
        self.action = action
    }

    /// One `credit-restricted` problem for each party of `record` that is an enterprise (its
    /// identity a unified social credit code) on `list`: the seller (the registered owner) and
    /// the transfer's buyer. Individuals (resident identity numbers) are never matched. Pure.
    public static func check(_ record: DossierRecord, list: CreditList) -> [Problem] {
        var parties: [(field: String, role: String, roleZh: String, name: String, type: IdentityType, id: String)] = [
            ("owner.idNumber", "seller", "出让方", record.owner.name, record.owner.idType, record.owner.idNumber)
        ]
        if let buyer = record.transfer?.buyer {
            parties.append(("transfer.buyer.idNumber", "buyer", "受让方", buyer.name, buyer.idType, buyer.idNumber))
        }
        return parties.compactMap { party in
            guard party.type == .uscc, let reason = list.reasons[party.id] else { return nil }
            return Problem(
                code: "credit-restricted", field: party.field,
                message:
                    "the \(party.role) \(party.name) (unified social credit code \(party.id)) is on the credit restriction list: \(reason)",
                messageZh: "\(party.roleZh)\(party.name)（统一社会信用代码\(party.id)）列入信用惩戒名单：\(reason)")
        }
    }
}

/// Why a credit list was refused, naming its file (or URL) and line.
public struct CreditListError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong with one line.
    public enum Problem: Sendable, Equatable {
        case invalidCode(String, CodeError)
        case missingReason(String)
        case duplicate(String)
    }

    public var source: String
    public var line: Int
    public var problem: Problem

    /// The error at `line` (1-based) of `source`.
    public init(source: String, line: Int, problem: Problem) {
        self.source = source
        self.line = line
        self.problem = problem
    }

    /// The reason in English.
    public var description: String {
        switch problem {
        case let .invalidCode(code, error): return "\(source):\(line): \"\(code)\" is not a unified social credit code: \(error.message)"
        case let .missingReason(code): return "\(source):\(line): \(code) has no reason after it"
        case let .duplicate(code): return "\(source):\(line): \(code) is listed twice"
        }
    }

    /// The reason in Chinese.
    public var descriptionZh: String {
        switch problem {
        case let .invalidCode(code, error): return "\(source) 第\(line)行：“\(code)”不是统一社会信用代码：\(error.messageZh)"
        case let .missingReason(code): return "\(source) 第\(line)行：\(code) 后缺少列入原因"
        case let .duplicate(code): return "\(source) 第\(line)行：\(code) 重复列出"
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing white space (tabs, spaces, a CR of a CRLF line).
    fileprivate func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[first...last])
    }
}
