/// Plate numbers (GA 36): province abbreviation, issuing letter, then 5 characters (ordinary),
/// `D`/`F` + a letter or digit + 4 digits (small new-energy) or 5 digits + `D`/`F` (large new-energy).
public enum PlateNumber {
    /// The plate families the format distinguishes.
    public enum Kind: Sendable, Equatable {
        case ordinary, newEnergySmall, newEnergyLarge
    }

    /// The plate type codes (hpzl) this project knows.
    public static let types: Set<String> = [
        "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "14", "15",
        "16", "17", "20", "21", "22", "23", "24", "25", "26", "31", "32", "51", "52", "99",
    ]

    /// Classifies `text`; throws `CodeError` if it is no plate number, or if `issuer` (a division
    /// code) is given and the plate's province or issuing letter disagrees with it.
    @discardableResult
    public static func check(_ text: String, issuer: String? = nil) throws(CodeError) -> Kind {
        let characters = Array(text)
        guard characters.count == 7 || characters.count == 8 else {
            throw .length(expected: 7, actual: characters.count)
        }
        guard let provinceCode = Division.provinceCode(of: characters[0]) else {
            throw .invalidCharacter(position: 1, character: String(characters[0]))
        }
        let letter = characters[1]
        guard isLetter(letter) else { throw .invalidCharacter(position: 2, character: String(letter)) }
        let rest = Array(characters.dropFirst(2))
        let kind: Kind
        if rest.count == 5, rest.allSatisfy({ isLetter($0) || $0.isASCIIDigit }) {
            kind = .ordinary
        } else if rest.count == 6, rest[0] == "D" || rest[0] == "F",
            isLetter(rest[1]) || rest[1].isASCIIDigit, rest[2...].allSatisfy(\.isASCIIDigit)
        {
            kind = .newEnergySmall
        } else if rest.count == 6, rest[0..<5].allSatisfy(\.isASCIIDigit), rest[5] == "D" || rest[5] == "F" {
            kind = .newEnergyLarge
        } else {
            throw .plateFormat(text)
        }
        if let issuer {
            if !issuer.hasPrefix(provinceCode) {
                throw .provinceMismatch(plateProvince: String(characters[0]), divisionCode: issuer)
            }
            if let expected = Division.issuerLetters[issuer], expected != letter {
                throw .issuerLetterMismatch(expected: String(expected), found: String(letter))
            }
        }
        return kind
    }

    private static func isLetter(_ character: Character) -> Bool {
        guard let ascii = character.asciiValue else { return false }
        return (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(ascii) && character != "I" && character != "O"
    }
}
