import Foundation
import Synchronization

/// The faults the mock peer injects, set from the command line and the control endpoint.
/// Counts apply to the next N requests (or connections, for `refuseHandshakes`) and go down as
/// they are used; `failRate` picks one fault at random per request from a seeded generator,
/// so a fault campaign can be replayed.
struct FaultSettings: Codable, Sendable, Equatable {
    /// Answer the next N requests with `failStatus` (and `Retry-After: retryAfter` if set).
    var failNext = 0
    var failStatus = 503
    var retryAfter: Int?
    /// Added before every request is handled.
    var latencyMs = 0
    /// Drop the connection halfway through the next N request bodies (or response bodies,
    /// for requests without a body).
    var closeMidBody = 0
    /// Send the next N response bodies at `trickleBytesPerSecond`.
    var trickle = 0
    var trickleBytesPerSecond = 16_384
    /// Sign the next N receipts with the wrong key (`--wrong-key-cert`), or not at all when
    /// there is no wrong key.
    var wrongKey = 0
    /// Name another digest in the next N receipts.
    var wrongDigest = 0
    /// Close the next N new connections before the TLS handshake.
    var refuseHandshakes = 0
    /// Answer the next N requests with a body of `bloatedAnswerBytes` in place of their own
    /// (a receipt of a megabyte, say): the client must stop reading at its limit.
    var bloatAnswers = 0
    /// Add `floodedHeaderBytes` of header lines to the next N answers.
    var floodHeaders = 0
    /// Probability (0…1) of a random fault on each request.
    var failRate = 0.0
    var seed: UInt64 = 1

    /// A partial update from the control endpoint: only the keys present change.
    struct Patch: Codable, Sendable {
        var failNext: Int?, failStatus: Int?, retryAfter: Int?, latencyMs: Int?, closeMidBody: Int?, trickle: Int?
        var trickleBytesPerSecond: Int?, wrongKey: Int?, wrongDigest: Int?, refuseHandshakes: Int?, failRate: Double?
        var seed: UInt64?, bloatAnswers: Int?, floodHeaders: Int?
    }

    /// The body of a bloated answer: four times the largest receipt a client takes.
    static let bloatedAnswerBytes = 1 << 20
    /// The header lines of a flooded answer: twice what our client takes, half of libcurl's own
    /// bound, so that the client's limit is the one tested.
    static let floodedHeaderBytes = 128 << 10

    /// Statuses an injected failure may carry.
    static let failStatuses = 400...599
    /// Longest added latency: ten minutes.
    static let latencyRange = 0...600_000

    /// Why a patch cannot be applied, if it cannot.
    static func problem(with patch: Patch) -> String? {
        if let status = patch.failStatus, !failStatuses.contains(status) { return "failStatus must be 400-599" }
        if let latency = patch.latencyMs, !latencyRange.contains(latency) { return "latencyMs must be 0-600000" }
        if let rate = patch.failRate, !(0...1).contains(rate) { return "failRate must be between 0 and 1" }
        if let retryAfter = patch.retryAfter, retryAfter < 0 { return "retryAfter must not be negative" }
        return nil
    }

    mutating func apply(_ patch: Patch) {
        failNext = patch.failNext ?? failNext
        failStatus = patch.failStatus.map { min(max($0, Self.failStatuses.lowerBound), Self.failStatuses.upperBound) } ?? failStatus
        retryAfter = patch.retryAfter ?? retryAfter
        latencyMs = patch.latencyMs.map { min(max($0, Self.latencyRange.lowerBound), Self.latencyRange.upperBound) } ?? latencyMs
        closeMidBody = patch.closeMidBody ?? closeMidBody
        trickle = patch.trickle ?? trickle
        trickleBytesPerSecond = max(1, patch.trickleBytesPerSecond ?? trickleBytesPerSecond)
        wrongKey = patch.wrongKey ?? wrongKey
        wrongDigest = patch.wrongDigest ?? wrongDigest
        refuseHandshakes = patch.refuseHandshakes ?? refuseHandshakes
        bloatAnswers = patch.bloatAnswers ?? bloatAnswers
        floodHeaders = patch.floodHeaders ?? floodHeaders
        failRate = min(1, max(0, patch.failRate ?? failRate))
        seed = patch.seed ?? seed
    }
}

/// What to do to one request, decided when it arrives.
struct RequestFaults: Sendable {
    var latencyMs = 0
    var fail: (status: Int, retryAfter: Int?)?
    var closeMidBody = false
    var trickleBytesPerSecond: Int?
    var wrongKey = false
    var wrongDigest = false
    var bloatAnswer = false
    var floodHeaders = false
}

/// The mock peer's fault state. Thread-safe (one mutex around settings and the generator).
final class MockFaults: Sendable {
    private struct State {
        var settings: FaultSettings
        var random: SplitMix64
    }
    private let state: Mutex<State>

    init(_ settings: FaultSettings) {
        state = Mutex(State(settings: settings, random: SplitMix64(seed: settings.seed)))
    }

    var settings: FaultSettings { state.withLock { $0.settings } }

    func update(_ patch: FaultSettings.Patch) -> FaultSettings {
        state.withLock { state in
            state.settings.apply(patch)
            if patch.seed != nil { state.random = SplitMix64(seed: state.settings.seed) }
            return state.settings
        }
    }

    func reset() {
        state.withLock { state in
            state.settings = FaultSettings()
            state.random = SplitMix64(seed: state.settings.seed)
        }
    }

    /// Whether to let a new connection reach the TLS handshake.
    func admitConnection() -> Bool {
        state.withLock { state in
            if state.settings.refuseHandshakes > 0 {
                state.settings.refuseHandshakes -= 1
                return false
            }
            // A quarter of the random fault rate goes to refused handshakes.
            return !(state.settings.failRate > 0 && state.random.nextUnit() < state.settings.failRate / 4)
        }
    }

    /// Takes this request's faults: the counted ones first, then maybe a random one.
    func take() -> RequestFaults {
        state.withLock { state in
            var s = state.settings
            var faults = RequestFaults(latencyMs: s.latencyMs)
            if s.failNext > 0 { s.failNext -= 1; faults.fail = (s.failStatus, s.retryAfter) }
            if s.closeMidBody > 0 { s.closeMidBody -= 1; faults.closeMidBody = true }
            if s.trickle > 0 { s.trickle -= 1; faults.trickleBytesPerSecond = s.trickleBytesPerSecond }
            if s.wrongKey > 0 { s.wrongKey -= 1; faults.wrongKey = true }
            if s.wrongDigest > 0 { s.wrongDigest -= 1; faults.wrongDigest = true }
            if s.bloatAnswers > 0 { s.bloatAnswers -= 1; faults.bloatAnswer = true }
            if s.floodHeaders > 0 { s.floodHeaders -= 1; faults.floodHeaders = true }
            if s.failRate > 0, state.random.nextUnit() < s.failRate {
                switch state.random.next() % 7 {
                case 0: faults.fail = (503, 1)
                case 1: faults.fail = (500, nil)
                case 2: faults.closeMidBody = true
                case 3: faults.trickleBytesPerSecond = s.trickleBytesPerSecond
                case 4: faults.wrongKey = true
                case 5: faults.wrongDigest = true
                default: faults.latencyMs += 200
                }
            }
            state.settings = s
            return faults
        }
    }
}

/// A small seeded generator (SplitMix64), so random fault campaigns replay exactly.
struct SplitMix64: Sendable {
    private var value: UInt64
    init(seed: UInt64) { value = seed }

    mutating func next() -> UInt64 {
        value &+= 0x9E37_79B9_7F4A_7C15
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
