/// Administrative division codes (GB/T 2260) and the province plate abbreviations (docs/domain.md).
public enum Division {
    /// Province code (2 digits) → plate abbreviation.
    public static let provinces: [String: Character] = [
        "11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
        "31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
        "42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "贵",
        "53": "云", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
    ]

    /// The issuing letter of a prefecture's plates. Not derivable from the code (粤R is Qingyuan),
    /// so this is a table; offices missing from it are not checked for the letter.
    public static let issuerLetters: [String: Character] = [
        "110000": "A", "310000": "A", "440100": "A", "440300": "B", "441800": "R", "430100": "A",
        "420100": "A", "510100": "A", "330100": "A", "320100": "A", "350100": "A", "370100": "A",
    ]

    /// The plate abbreviation of a 2-digit province code, nil if unknown.
    public static func province(ofCode prefix: String) -> Character? { provinces[prefix] }

    /// The 2-digit province code of a plate abbreviation, nil if unknown.
    public static func provinceCode(of abbreviation: Character) -> String? {
        provinces.first { $0.value == abbreviation }?.key
    }

    /// Throws `CodeError` unless `text` is 6 ASCII digits beginning with a known province code.
    public static func check(_ text: String) throws(CodeError) {
        let characters = Array(text)
        guard characters.count == 6 else { throw .length(expected: 6, actual: characters.count) }
        for (index, character) in characters.enumerated() where !character.isASCIIDigit {
            throw .invalidCharacter(position: index + 1, character: String(character))
        }
        let prefix = String(characters.prefix(2))
        guard provinces[prefix] != nil else { throw .unknownProvince(prefix: prefix) }
    }
}
