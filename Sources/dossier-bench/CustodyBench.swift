import ArgumentParser
import DossierCustody
import Foundation

/// `dossier-bench custody`: custody events made durable per second by 32 producers appending at
/// once (group commit) against baseline A of the outbox area, measured in the same run: a loop
/// writing one small record and calling `fdatasync` for each (issue 14, target ≥ 10×).
struct CustodyBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custody", abstract: "Custody log appends per second against one fdatasync per event.")
    @OptionGroup var options: BenchOptions

    @Option(help: "Events per producer, and records in the baseline loop.")
    var events = 200

    func run() async throws {
        report(try await figures(), json: options.json)
    }

    func figures() async throws -> [Figure] {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-bench-custody-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let baseline = OutboxBench(root: root, records: max(100, events))
        var perEvent: [Double] = [], grouped: [Double] = []
        for round in 0..<max(1, options.rounds) {
            perEvent.append(try baseline.fdatasyncLoop(round: round))
            grouped.append(try await appends(directory: root.appendingPathComponent("log-\(round)").path, producers: 32))
        }
        return [
            Figure.higherIsBetter(
                area: "custody", figure: "custody events appended/s, 32 producers (durable, group commit)",
                value: median(grouped), unit: "/s", baseline: "A: fdatasync per event", baselineValue: median(perEvent),
                minRatio: 10)
        ]
    }

    /// Events per second with `producers` tasks each appending `events` events, every append
    /// awaited until durable.
    private func appends(directory: String, producers: Int) async throws -> Double {
        let (log, _) = try CustodyLog.open(directory: directory)
        let perProducer = max(1, events)
        // Made before the clock starts: the figure is the log's, not `String(format:)`'s.
        let made = (0..<producers).map { producer in (0..<perProducer).map { Self.event(producer * perProducer + $0) } }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for events in made {
                group.addTask {
                    for event in events { _ = try await log.append(event) }
                }
            }
            try await group.waitForAll()
        }
        let elapsed = ContinuousClock.now - start
        await log.close()
        return Double(producers * perProducer) / (elapsed / .seconds(1))
    }

    /// A `sent` event of the size real ones have (about 150 bytes encoded).
    private static func event(_ n: Int) -> CustodyEvent {
        CustodyEvent(
            kind: .sent, archiveId: String(format: "0193a1b2-%04x-7000-8000-%012x", n % 0x10000, n), peer: "430100",
            digest: String(repeating: "e3", count: 32), time: Date())
    }
}
