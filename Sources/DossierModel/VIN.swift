/// Vehicle identification number (GB 16735 / ISO 3779): 17 characters without I, O, Q; position 9
/// is the check character, mandatory in China. Pure functions, safe on any string.
public enum VIN {
    private static let weights = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]

    /// Throws `CodeError` when `text` is not a VIN with a correct check character.
    public static func check(_ text: String) throws(CodeError) {
        let characters = Array(text)
        guard characters.count == 17 else { throw .length(expected: 17, actual: characters.count) }
        var values: [Int] = []
        for (index, character) in characters.enumerated() {
            guard let value = transliteration(character) else {
                throw .invalidCharacter(position: index + 1, character: String(character))
            }
            values.append(value)
        }
        let expected = checkCharacter(values)
        if characters[8] != expected {
            throw .checkCharacter(expected: String(expected), found: String(characters[8]))
        }
    }

    /// The check character for 17 characters whose position 9 is ignored; nil if any other
    /// character is not allowed in a VIN.
    public static func checkCharacter(for text: String) -> Character? {
        let characters = Array(text)
        guard characters.count == 17 else { return nil }
        var values: [Int] = []
        for (index, character) in characters.enumerated() {
            if index == 8 {
                values.append(0)
            } else if let value = transliteration(character) {
                values.append(value)
            } else {
                return nil
            }
        }
        return checkCharacter(values)
    }

    /// The characters allowed in a VIN.
    public static let alphabet = Array("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")

    /// The numeric value of a VIN character; nil for characters a VIN may not contain.
    static func transliteration(_ character: Character) -> Int? {
        guard let ascii = character.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(ascii - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "H"): return Int(ascii - UInt8(ascii: "A")) + 1
        case UInt8(ascii: "J")...UInt8(ascii: "N"): return Int(ascii - UInt8(ascii: "J")) + 1
        case UInt8(ascii: "P"): return 7
        case UInt8(ascii: "R"): return 9
        case UInt8(ascii: "S")...UInt8(ascii: "Z"): return Int(ascii - UInt8(ascii: "S")) + 2
        default: return nil
        }
    }

    private static func checkCharacter(_ values: [Int]) -> Character {
        var sum = 0
        for (value, weight) in zip(values, weights) { sum += value * weight }
        let remainder = sum % 11
        return remainder == 10 ? "X" : Character(String(remainder))
    }
}
