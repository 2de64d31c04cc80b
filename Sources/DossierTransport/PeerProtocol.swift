import Foundation

/// The `/v1` peer protocol's paths, headers and JSON bodies (docs/protocol.md), shared by the
/// client, the inbound server and the mock peer.
public enum PeerProtocol {
    public static let version = "v1"
    public static let receiptMediaType = "application/pkcs7-mime; smime-type=signed-receipt"
    public static let archiveMediaType = "application/x-dossier-archive"

    public static func archivePath(_ id: String) -> String { "/v1/archives/\(id)" }
    public static func receiptPath(_ id: String) -> String { "/v1/archives/\(id)/receipt" }
    /// `POST`: the destination's signed completion notice (`CompletionNotice`) of an archive.
    public static func completionPath(_ id: String) -> String { "/v1/archives/\(id)/completion" }
    public static let completionMediaType = "application/pkcs7-mime; smime-type=signed-data"
    public static let archivesPath = "/v1/archives"
    public static let requestsPath = "/v1/requests"
    public static let healthPath = "/v1/health"
    /// `GET ?from=&to=`: an RFC 9162 consistency proof between two trees of the custody log.
    public static let consistencyPath = "/v1/audit/consistency"

    /// `Content-Digest: sha-256=:<base64>:` (RFC 9530) for a SHA-256 given in hex; nil if not hex.
    public static func contentDigest(hex: String) -> String? {
        guard let bytes = hexBytes(hex), bytes.count == 32 else { return nil }
        return "sha-256=:\(Data(bytes).base64EncodedString()):"
    }

    /// The SHA-256 (hex) in a `Content-Digest` header, if it carries one.
    public static func sha256Hex(contentDigest header: String) -> String? {
        for member in header.split(separator: ",") {
            let parts = member.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "sha-256" else { continue }
            let value = parts[1].trimmingCharacters(in: .whitespaces)
            guard value.hasPrefix(":"), value.hasSuffix(":"), value.count > 2,
                let data = Data(base64Encoded: String(value.dropFirst().dropLast())), data.count == 32
            else { return nil }
            return data.map { String(format: "%02x", $0) }.joined()
        }
        return nil
    }

    private static func hexBytes(_ hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        for i in stride(from: 0, to: chars.count, by: 2) {
            guard let byte = UInt8(String(decoding: chars[i...i + 1], as: UTF8.self), radix: 16) else { return nil }
            out.append(byte)
        }
        return out
    }

    /// `POST /v1/requests`: the destination asks the origin for a vehicle's archive.
    public struct ArchiveRequest: Codable, Sendable, Equatable {
        public var vin: String
        public var plate: String
        public init(vin: String, plate: String) { self.vin = vin; self.plate = plate }
    }

    /// The answer to `GET /v1/audit/consistency`: the RFC 9162 consistency proof (node hashes,
    /// lowercase hex, in proof order) from the custody log's tree of `from` entries to that of
    /// `to` entries, which a peer checks against two signed checkpoints it holds.
    public struct ConsistencyProof: Codable, Sendable, Equatable {
        public var from: UInt64
        public var to: UInt64
        public var proof: [String]
        public init(from: UInt64, to: UInt64, proof: [String]) {
            self.from = from
            self.to = to
            self.proof = proof
        }
    }

    /// 202 answer to an archive request.
    public struct RequestAccepted: Codable, Sendable, Equatable {
        public var requestId: String
        public var archiveId: String?
        public init(requestId: String, archiveId: String?) { self.requestId = requestId; self.archiveId = archiveId }
    }

    /// One archive held for the caller (pull mode).
    public struct HeldArchive: Codable, Sendable, Equatable {
        public var id: String
        public var size: UInt64
        public var digest: String
        public var createdAt: Date
        public init(id: String, size: UInt64, digest: String, createdAt: Date) {
            self.id = id; self.size = size; self.digest = digest; self.createdAt = createdAt
        }
    }

    /// `GET /v1/archives?after=&limit=`: a page of held archives, in id order; `next` is the
    /// cursor for the following page, nil at the end.
    public struct ArchiveList: Codable, Sendable, Equatable {
        public var archives: [HeldArchive]
        public var next: String?
        public init(archives: [HeldArchive], next: String?) { self.archives = archives; self.next = next }
    }

    /// 201 (first time) or 200 (the same notice again) to a completion notice: the origin
    /// recorded it at `recordedAt`.
    public struct CompletionRecorded: Codable, Sendable, Equatable {
        public var archiveId: String
        public var status: CompletionNotice.Status
        public var recordedAt: Date
        public init(archiveId: String, status: CompletionNotice.Status, recordedAt: Date) {
            self.archiveId = archiveId
            self.status = status
            self.recordedAt = recordedAt
        }
    }

    /// Problem answers (4xx/5xx) carry this JSON.
    public struct ErrorBody: Codable, Sendable, Equatable {
        public var error: String
        public var detail: String
        public var reasons: [String]?
        public init(error: String, detail: String, reasons: [String]? = nil) {
            self.error = error; self.detail = detail; self.reasons = reasons
        }
    }

    /// `GET /v1/health`.
    public struct Health: Codable, Sendable, Equatable {
        public var status: String
        public var version: String
        public var authority: String
        public init(status: String, version: String, authority: String) {
            self.status = status; self.version = version; self.authority = authority
        }
    }
}
