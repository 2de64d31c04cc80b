import Foundation

extension AdminProtocol {
    /// `GET /report?from=YYYY-MM-DD&to=YYYY-MM-DD`: what the authority sent and received in a
    /// period, computed by the daemon from what it already keeps (the outbox journal, the peers'
    /// signed receipts, the inbox and quarantine index, `intake/failed/`). Days and months are
    /// those of the daemon's time zone (`timeZone`); `to` is included.
    public struct Report: Codable, Sendable, Equatable {
        /// The reporting authority's code and name.
        public var authority: String
        public var authorityName: String
        /// The period, as asked (inclusive days).
        public var from: String
        public var to: String
        /// The time zone (IANA name) of the days and months.
        public var timeZone: String
        public var generatedAt: Date
        /// Archives delivered (receipt `accepted`) and received (accepted into the inbox), one
        /// cell per month and peer that had any, months ascending, then peers.
        public var cells: [Cell]
        /// Packing to the receipt, for archives delivered in the period.
        public var sentLatency: Latency?
        /// Packing (the archive id's UUIDv7 time) to receipt here, for archives accepted in the period.
        public var receivedLatency: Latency?
        /// Archives this authority rejected on receipt, by finding code (an archive counts once per code).
        public var rejectedByUs: [Count]
        /// This authority's archives that peers rejected (their signed rejections), by finding code.
        public var rejectedByPeers: [Count]
        /// Dossier folders refused at intake, by rule (the problem code in `reason.txt`; `other`
        /// when the folder itself was unusable).
        public var intakeRefusals: [Count]
        /// Packing to the completion notice (registration or refusal) received in the period,
        /// for archives this authority sent (its `out` cases).
        public var sentCompletionLatency: Latency?
        /// Packing (the archive id's UUIDv7 time) to the completion notice this authority
        /// delivered in the period, for archives it received (its `in` cases).
        public var receivedCompletionLatency: Latency?
        /// `[sla] transfer_days` when the report was made.
        public var slaDays: Int
        /// The cases whose deadline (first step + `slaDays`) fell in the period, before the
        /// report was made, and passed before they were completed: still open, or completed
        /// late. Rejected and cancelled cases have nothing left to complete and are not listed.
        /// Deadlines ascending.
        public var pastSLA: [LateCase]

        public init(
            authority: String, authorityName: String, from: String, to: String, timeZone: String, generatedAt: Date,
            cells: [Cell], sentLatency: Latency?, receivedLatency: Latency?, rejectedByUs: [Count], rejectedByPeers: [Count],
            intakeRefusals: [Count], sentCompletionLatency: Latency? = nil, receivedCompletionLatency: Latency? = nil,
            slaDays: Int = 0, pastSLA: [LateCase] = []
        ) {
            self.authority = authority
            self.authorityName = authorityName
            self.from = from
            self.to = to
            self.timeZone = timeZone
            self.generatedAt = generatedAt
            self.cells = cells
            self.sentLatency = sentLatency
            self.receivedLatency = receivedLatency
            self.rejectedByUs = rejectedByUs
            self.rejectedByPeers = rejectedByPeers
            self.intakeRefusals = intakeRefusals
            self.sentCompletionLatency = sentCompletionLatency
            self.receivedCompletionLatency = receivedCompletionLatency
            self.slaDays = slaDays
            self.pastSLA = pastSLA
        }

        /// Archives sent to and received from one peer in one month (`YYYY-MM`).
        public struct Cell: Codable, Sendable, Equatable {
            public var month: String
            public var peer: String
            public var sent: Int
            public var received: Int

            public init(month: String, peer: String, sent: Int, received: Int) {
                self.month = month
                self.peer = peer
                self.sent = sent
                self.received = received
            }
        }

        /// Seconds from packing to receipt (or to completion) over `count` archives.
        public struct Latency: Codable, Sendable, Equatable {
            public var count: Int
            public var median: Double
            public var p95: Double
            public var max: Double

            public init(count: Int, median: Double, p95: Double, max: Double) {
                self.count = count
                self.median = median
                self.p95 = p95
                self.max = max
            }
        }

        /// A case that passed its deadline before it was completed.
        public struct LateCase: Codable, Sendable, Equatable {
            public var archiveId: String
            /// The other authority, and `out` (sent from here) or `in` (received here).
            public var peer: String
            public var direction: String
            /// `open`, `completed` or `refused` (`AdminProtocol.Case.state`).
            public var state: String
            /// The case's first known step, and its deadline (that plus `slaDays`).
            public var started: Date
            public var deadline: Date
            public var completed: Date?
            /// Days from the first step to the completion, or to the report for an open case.
            public var days: Double

            public init(
                archiveId: String, peer: String, direction: String, state: String, started: Date, deadline: Date, completed: Date?,
                days: Double
            ) {
                self.archiveId = archiveId
                self.peer = peer
                self.direction = direction
                self.state = state
                self.started = started
                self.deadline = deadline
                self.completed = completed
                self.days = days
            }
        }

        /// How many times a reason (or rule) occurred.
        public struct Count: Codable, Sendable, Equatable {
            public var reason: String
            public var count: Int

            public init(reason: String, count: Int) {
                self.reason = reason
                self.count = count
            }
        }

        /// Sent and received per month, months ascending.
        public var byMonth: [Cell] { totals(by: \.month, label: { Cell(month: $0, peer: "", sent: 0, received: 0) }) }

        /// Sent and received per peer, peers ascending.
        public var byPeer: [Cell] { totals(by: \.peer, label: { Cell(month: "", peer: $0, sent: 0, received: 0) }) }

        private func totals(by key: KeyPath<Cell, String>, label: (String) -> Cell) -> [Cell] {
            var sums: [String: Cell] = [:]
            for cell in cells {
                sums[cell[keyPath: key], default: label(cell[keyPath: key])].sent += cell.sent
                sums[cell[keyPath: key], default: label(cell[keyPath: key])].received += cell.received
            }
            return sums.keys.sorted().compactMap { sums[$0] }
        }
    }
}
