import Foundation

/// A receiver's pointer into its custody log (docs/custody-log.md), carried in its receipts:
/// the leaf that records the arrival and a signed checkpoint whose tree covers it. With the
/// receiver's certificate, `dossierctl audit check-proof` (given the inclusion proof the
/// receiver can produce for that leaf) and `GET /v1/audit/consistency` (between this and any
/// later checkpoint) let the sender prove later what the receiver logged, and that it never
/// rewrote it.
public struct CustodyReference: Codable, Sendable, Equatable {
    /// The arrival's leaf index in the receiver's custody log.
    public var leafIndex: UInt64
    /// The size of the checkpoint's tree (greater than `leafIndex`).
    public var treeSize: UInt64
    /// The checkpoint's signed statement, base64.
    public var checkpoint: String
    /// The receiver's attached CMS SignedData over the statement, base64 DER.
    public var signature: String

    /// A reference to leaf `leafIndex` under the checkpoint of `treeSize` entries.
    public init(leafIndex: UInt64, treeSize: UInt64, checkpoint: String, signature: String) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.checkpoint = checkpoint
        self.signature = signature
    }
}
