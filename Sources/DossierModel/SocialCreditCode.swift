/// Unified social credit code (GB 32100): 18 characters from a 31-character alphabet, the last a
/// check character. Companies and dealers are identified by it. Pure functions, safe on any string.
public enum SocialCreditCode {
    /// The allowed characters, in value order 0–30.
    public static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    private static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// Throws `CodeError` when `text` is not a credit code with a correct check character.
    public static func check(_ text: String) throws(CodeError) {
        let characters = Array(text)
        guard characters.count == 18 else { throw .length(expected: 18, actual: characters.count) }
        for (index, character) in characters.enumerated() where alphabet.firstIndex(of: character) == nil {
            throw .invalidCharacter(position: index + 1, character: String(character))
        }
        guard let expected = checkCharacter(for: String(characters.prefix(17))) else { return }
        if characters[17] != expected {
            throw .checkCharacter(expected: String(expected), found: String(characters[17]))
        }
    }

    /// The check character for the first 17 characters; nil if they are not 17 allowed characters.
    public static func checkCharacter(for body: String) -> Character? {
        let characters = Array(body)
        guard characters.count == 17 else { return nil }
        var sum = 0
        for (character, weight) in zip(characters, weights) {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            sum += value * weight
        }
        return alphabet[(31 - sum % 31) % 31]
    }
}
