// TEMPORARY: the agreed interface of the model helper's work, so the archive builds meanwhile.
import Foundation

public enum ArchiveProperty: String, Codable, Sendable { case authenticity, integrity, usability, security }

public struct Finding: Codable, Sendable, Equatable {
    public var property: ArchiveProperty
    public var code: String
    public var detail: String
    public init(_ property: ArchiveProperty, _ code: String, _ detail: String) {
        self.property = property; self.code = code; self.detail = detail
    }
}

public struct DocumentSample: Sendable {
    public static let headLength = 4096
    public static let tailLength = 65536
    public var path: String
    public var size: UInt64
    public var head: [UInt8]
    public var tail: [UInt8]
    public init(path: String, size: UInt64, head: [UInt8], tail: [UInt8]) {
        self.path = path; self.size = size; self.head = head; self.tail = tail
    }
}

public enum FourPropertyCheck {
    public static func run(bagInfo: [(String, String)], record: Data?, documents: [DocumentSample]) -> [Finding] { [] }
}
