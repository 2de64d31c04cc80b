/// How personal data appears in logs, `status` and error texts (docs/protocol.md, Identity): enough for an
/// operator to recognise the record, not enough to identify a person.
public enum PersonalData {
    /// An ID number (resident ID, unified social credit code) as its first 4 and last 4
    /// characters, the rest starred; numbers of 8 characters or fewer are starred whole.
    public static func maskIDNumber(_ number: String) -> String {
        let characters = Array(number)
        guard characters.count > 8 else { return String(repeating: "*", count: characters.count) }
        return String(characters.prefix(4)) + String(repeating: "*", count: characters.count - 8) + String(characters.suffix(4))
    }

    /// A person's name as its first character, the rest starred.
    public static func maskName(_ name: String) -> String {
        guard let first = name.first else { return name }
        return String(first) + String(repeating: "*", count: name.count - 1)
    }
}
