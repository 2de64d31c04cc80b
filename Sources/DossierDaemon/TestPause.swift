import Foundation
import Logging

/// Fault injection for the crash tests (Tests/IntegrationTests/TransferLedgerTests.swift): with
/// `DOSSIERD_TEST_PAUSE_AT` naming a step of a submission (or `proving`), everything reaching that step
/// logs "test pause" (with the step and the archive id) and waits there 30 s, so that a test
/// can SIGKILL the daemon at exactly that point. Unset (production), each step costs one
/// comparison with the value read once at start.
enum TestPause {
    /// The steps of a submission, in order, between which a crash leaves different state.
    enum Step: String, Sendable {
        /// Packed in staging; nothing recorded or queued.
        case packed
        /// Its submission record written (`SubmissionIndex`); not queued yet.
        case recorded
        /// Queued; not yet answered (`submit`) or removed from intake.
        case queued
        /// An intake folder queued and its line logged; the folder still in intake.
        case logged
        /// An intake folder moved out of intake for removal; its files not removed yet.
        case removing
        /// A peer's consistency proof admitted; not computed yet (`PeerRequests`).
        case proving
    }

    private static let chosen: Step? = ProcessInfo.processInfo.environment["DOSSIERD_TEST_PAUSE_AT"].flatMap(Step.init(rawValue:))

    /// Waits 30 s at `step` when the environment chose it; returns at once otherwise.
    static func at(_ step: Step, id: String, logger: Logger) async {
        guard step == chosen else { return }
        logger.notice("test pause", metadata: ["step": "\(step.rawValue)", "id": "\(id)"])
        try? await Task.sleep(for: .seconds(30))
    }
}
