import Foundation

extension AdminProtocol {
    /// One vehicle transfer as `GET /cases?open=1&peer=CODE` lists it (docs/operations.md,
    /// "Cases"): an archive this authority sent (`out`) or received (`in`), with the time of each
    /// step known here. A step this side cannot see (an origin does not see the destination's
    /// verification apart from its receipt; a destination does not see the packing) is nil.
    public struct Case: Codable, Sendable, Equatable {
        /// The archive (its UUIDv7 id).
        public var archiveId: String
        /// The vehicle, when this side knows it (from the packing at the origin, from the request
        /// at a destination that asked for it).
        public var vin: String?
        /// The other authority: the destination of an `out` case, the origin of an `in` case.
        public var peer: String
        /// `out` (this authority is the origin) or `in` (the destination).
        public var direction: String
        /// `open` until `completed`; else `completed`, `refused` (the destination refused the
        /// registration), `rejected` (the archive failed verification), `cancelled`.
        public var state: String
        public var requested: Date?
        public var packed: Date?
        public var sent: Date?
        public var received: Date?
        public var verified: Date?
        public var completed: Date?
        /// Open for longer than `[sla] transfer_days`.
        public var overdue: Bool

        public init(
            archiveId: String, vin: String?, peer: String, direction: String, state: String, requested: Date? = nil,
            packed: Date? = nil, sent: Date? = nil, received: Date? = nil, verified: Date? = nil, completed: Date? = nil,
            overdue: Bool = false
        ) {
            self.archiveId = archiveId
            self.vin = vin
            self.peer = peer
            self.direction = direction
            self.state = state
            self.requested = requested
            self.packed = packed
            self.sent = sent
            self.received = received
            self.verified = verified
            self.completed = completed
            self.overdue = overdue
        }

        /// The steps in their order, each with its time when known.
        public var steps: [(name: String, at: Date?)] {
            [
                ("requested", requested), ("packed", packed), ("sent", sent), ("received", received), ("verified", verified),
                ("completed", completed),
            ]
        }

        /// When the case began: its first known step.
        public var start: Date? { steps.lazy.compactMap { $0.at }.first }
    }
}
