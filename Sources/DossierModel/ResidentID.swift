import Foundation

/// Resident identity number (GB 11643): 6-digit division code, birth date YYYYMMDD, 3-digit
/// sequence and a check character. Pure functions, safe on any string.
public enum ResidentID {
    private static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let checkCharacters = Array("10X98765432")

    /// Throws `CodeError` when `text` is not an identity number: wrong length or characters,
    /// unknown province, a birth date that does not exist or lies after `today`, or a wrong check.
    public static func check(_ text: String, today: CalendarDate? = nil) throws(CodeError) {
        let characters = Array(text)
        guard characters.count == 18 else { throw .length(expected: 18, actual: characters.count) }
        for (index, character) in characters.prefix(17).enumerated() where !character.isASCIIDigit {
            throw .invalidCharacter(position: index + 1, character: String(character))
        }
        let last = characters[17]
        guard last.isASCIIDigit || last == "X" else { throw .invalidCharacter(position: 18, character: String(last)) }
        let prefix = String(characters.prefix(2))
        guard Division.province(ofCode: prefix) != nil else { throw .unknownProvince(prefix: prefix) }
        let birthText = String(characters[6..<14])
        guard let birth = CalendarDate(compact: ArraySlice(Array(birthText.utf8))) else {
            throw .invalidBirthDate(birthText)
        }
        if let today, birth > today { throw .birthDateInFuture(birthText) }
        guard let expected = checkCharacter(for: String(characters.prefix(17))) else {
            throw .invalidCharacter(position: 1, character: String(characters[0]))
        }
        if last != expected { throw .checkCharacter(expected: String(expected), found: String(last)) }
    }

    /// The check character for the first 17 digits; nil unless `body` is 17 ASCII digits.
    public static func checkCharacter(for body: String) -> Character? {
        let digits = Array(body)
        guard digits.count == 17 else { return nil }
        var sum = 0
        for (character, weight) in zip(digits, weights) {
            guard let value = character.asciiDigitValue else { return nil }
            sum += value * weight
        }
        return checkCharacters[sum % 11]
    }
}

extension Character {
    package var isASCIIDigit: Bool { asciiDigitValue != nil }

    var asciiDigitValue: Int? {
        guard let ascii = asciiValue, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(ascii) else { return nil }
        return Int(ascii - UInt8(ascii: "0"))
    }
}
