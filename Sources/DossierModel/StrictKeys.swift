import Foundation

/// Finds keys in decoded JSON that the schema does not define.
///
/// The reference is the record re-encoded (`KeyShape`): every key the types know appears there,
/// except optional members that were null or absent. So a key missing from the reference is
/// unknown unless its value is null and the schema allows it to be optional.
enum StrictKeys {
    private static let optionalKeys: Set<String> = ["transfer", "mortgageeConsent", "since"]

    /// The path of the first unknown key, keys sorted at every level (`vehicle.colour`,
    /// `documents[1].pages`); nil when there is none.
    static func firstUnknownKey(in input: Any, known: KeyShape.Node) -> String? {
        // Nearly every record has none: one pass in the dictionaries' own order, building no
        // path, says so; only a record with one pays for the sorted search that names it.
        // Sorting every object's keys and building every key's path cost a tenth of
        // `DossierRecord.decode` (130 µs for a sample record; `perf`).
        guard hasUnknownKey(in: input, known: known) else { return nil }
        return firstUnknownKey(in: input, known: known, path: "")
    }

    private static func hasUnknownKey(in input: Any, known: KeyShape.Node) -> Bool {
        if let object = input as? [String: Any] {
            let reference = known.object ?? [:]
            for (key, value) in object {
                guard let child = reference[key] else {
                    if value is NSNull, optionalKeys.contains(key) { continue }
                    return true
                }
                if hasUnknownKey(in: value, known: child) { return true }
            }
        } else if let array = input as? [Any] {
            for (element, child) in zip(array, known.array ?? []) where hasUnknownKey(in: element, known: child) { return true }
        }
        return false
    }

    private static func firstUnknownKey(in input: Any, known: KeyShape.Node, path: String) -> String? {
        if let object = input as? [String: Any] {
            let reference = known.object ?? [:]
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
            for (index, (element, reference)) in zip(array, known.array ?? []).enumerated() {
                if let found = firstUnknownKey(in: element, known: reference, path: path + "[\(index)]") { return found }
            }
        }
        return nil
    }
}
