import Foundation

/// Finds keys in decoded JSON that the schema does not define.
///
/// The reference is the record re-encoded: every key the types know appears there, except
/// optional members that were null or absent. So a key missing from the reference is unknown
/// unless its value is null and the schema allows it to be optional.
enum StrictKeys {
    private static let optionalKeys: Set<String> = ["transfer", "mortgageeConsent", "since"]

    static func firstUnknownKey(in input: Any, known: Any, path: String = "") -> String? {
        if let object = input as? [String: Any] {
            let reference = known as? [String: Any] ?? [:]
            for key in object.keys.sorted() {
                let child = path.isEmpty ? key : path + "." + key
                guard let value = object[key] else { continue }
                guard let referenceValue = reference[key] else {
                    if value is NSNull, optionalKeys.contains(key) { continue }
                    return child
                }
                if let found = firstUnknownKey(in: value, known: referenceValue, path: child) { return found }
            }
        } else if let array = input as? [Any] {
            let reference = known as? [Any] ?? []
            for (index, element) in array.enumerated() where index < reference.count {
                if let found = firstUnknownKey(in: element, known: reference[index], path: path + "[\(index)]") {
                    return found
                }
            }
        }
        return nil
    }
}
