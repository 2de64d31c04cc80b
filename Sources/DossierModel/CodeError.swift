/// Why a code (VIN, identity number, credit code, division code, plate) is invalid.
/// Positions are 1-based, as the standards count them.
public enum CodeError: Error, Sendable, Equatable {
    case length(expected: Int, actual: Int)
    case invalidCharacter(position: Int, character: String)
    case checkCharacter(expected: String, found: String)
    case unknownProvince(prefix: String)
    case invalidBirthDate(String)
    case birthDateInFuture(String)
    case plateFormat(String)
    case provinceMismatch(plateProvince: String, divisionCode: String)
    case issuerLetterMismatch(expected: String, found: String)

    /// The reason in English.
    public var message: String {
        switch self {
        case .length(let expected, let actual): return "has \(actual) characters, expected \(expected)"
        case .invalidCharacter(let position, let character): return "character \"\(character)\" at position \(position) is not allowed"
        case .checkCharacter(let expected, let found): return "check character is \(found), expected \(expected)"
        case .unknownProvince(let prefix): return "province code \(prefix) is unknown"
        case .invalidBirthDate(let text): return "birth date \(text) does not exist"
        case .birthDateInFuture(let text): return "birth date \(text) is in the future"
        case .plateFormat(let text): return "\(text) is neither an ordinary nor a new-energy plate number"
        case .provinceMismatch(let plate, let code): return "plate province \(plate) does not match division code \(code)"
        case .issuerLetterMismatch(let expected, let found): return "issuing letter is \(found), the issuing office uses \(expected)"
        }
    }

    /// The reason in Chinese.
    public var messageZh: String {
        switch self {
        case .length(let expected, let actual): return "长度为\(actual)位，应为\(expected)位"
        case .invalidCharacter(let position, let character): return "第\(position)位字符“\(character)”不允许"
        case .checkCharacter(let expected, let found): return "校验位为\(found)，应为\(expected)"
        case .unknownProvince(let prefix): return "省级代码\(prefix)不存在"
        case .invalidBirthDate(let text): return "出生日期\(text)不存在"
        case .birthDateInFuture(let text): return "出生日期\(text)晚于今天"
        case .plateFormat(let text): return "\(text)不是普通号牌或新能源号牌号码"
        case .provinceMismatch(let plate, let code): return "号牌省份简称\(plate)与行政区划代码\(code)不符"
        case .issuerLetterMismatch(let expected, let found): return "发牌机关代号为\(found)，应为\(expected)"
        }
    }
}
