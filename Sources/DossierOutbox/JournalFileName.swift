import Foundation

/// Names of the files in the journal directory. Sequence numbers are zero-padded so that
/// name order is replay order.
enum JournalFileName {
    case segment(UInt64)
    case snapshot(UInt64)

    static func segment(_ seq: UInt64) -> String { String(format: "segment-%016llu.log", seq) }
    static func snapshot(_ seq: UInt64) -> String { String(format: "snapshot-%016llu.snap", seq) }

    /// The kind and sequence number of a journal file name; nil for anything else
    /// (temp files, files kept aside as damaged).
    init?(parsing name: String) {
        func seq(_ prefix: String, _ suffix: String) -> UInt64? {
            guard name.hasPrefix(prefix), name.hasSuffix(suffix), name.count == prefix.count + 16 + suffix.count
            else { return nil }
            return UInt64(name.dropFirst(prefix.count).dropLast(suffix.count))
        }
        if let n = seq("segment-", ".log") {
            self = .segment(n)
        } else if let n = seq("snapshot-", ".snap") {
            self = .snapshot(n)
        } else {
            return nil
        }
    }
}
