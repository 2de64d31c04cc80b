@testable import DossierOutbox
import Foundation
import Testing

/// The torture binary, built by `swift test` beside the test bundle.
private func tortureBinary() -> URL? {
    let candidates = [
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent(),
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
        Bundle.main.bundleURL,
    ]
    return candidates.map { $0.appendingPathComponent("dossier-outbox-torture") }
        .first { FileManager.default.isExecutableFile(atPath: $0.path) }
}

/// Runs the torture child for `lifetime`, kills it with SIGKILL, returns its complete lines.
private func runAndKill(_ binary: URL, state: URL, tag: String, lifetime: Duration) async throws -> [String] {
    let process = Process()
    process.executableURL = binary
    process.arguments = [state.path, tag]
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    try await Task.sleep(for: lifetime)
    let exitedEarly = !process.isRunning
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    #expect(!exitedEarly, "the child stopped by itself (status \(process.terminationStatus)) in run \(tag)")
    let text = String(decoding: data, as: UTF8.self)
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    lines.removeLast()  // after the last newline: empty, or a line cut by the kill
    return lines
}

/// 12 s alone here; under the whole suite on a 2-core host with a slow disk 135 s, each cycle's
/// child's start and syncs slowed by the other tests: the limit catches a hang, not slowness.
@Test(.timeLimit(.minutes(5)))
func everyAcknowledgedChangeSurvivesSIGKILL() async throws {
    guard let binary = tortureBinary() else {
        Issue.record("dossier-outbox-torture not found beside the test bundle")
        return
    }
    try await withTemporaryDirectory { dir in
        let state = dir.appendingPathComponent("state")
        var acknowledged: [String: [(state: OutboxState, position: Int)]] = [:]
        let byName = Dictionary(uniqueKeysWithValues: OutboxState.allCases.map { ($0.description, $0) })
        var generator = SystemRandomNumberGenerator()
        for cycle in 0..<50 {
            let lifetime = Duration.milliseconds(Int.random(in: 60...400, using: &generator))
            let lines = try await runAndKill(binary, state: state, tag: "c\(cycle)", lifetime: lifetime)
            for line in lines where line != "ready" {
                let parts = line.split(separator: " ")
                guard parts.count == 3, let s = byName[String(parts[1])], let position = Int(parts[2]) else {
                    Issue.record("unreadable line \(line)")
                    continue
                }
                acknowledged[String(parts[0]), default: []].append((s, position))
            }
        }
        #expect(acknowledged.count > 100, "the child made progress")
        let (outbox, report) = try await Outbox.open(stateDirectory: state)
        #expect(report.damage.isEmpty)
        #expect(report.missingSpoolFiles.isEmpty)
        for (id, acks) in acknowledged {
            guard let entry = await outbox.entry(id: id) else {
                Issue.record("acknowledged entry \(id) is missing")
                continue
            }
            let history = entry.history.map(\.state)
            // Each acknowledged change is in the journal at the place it was made; anything
            // after the last one is a change made durable but not yet acknowledged.
            for ack in acks {
                let found = history.indices.contains(ack.position - 1) ? history[ack.position - 1] : nil
                #expect(found == ack.state, "\(id): acknowledged \(ack.state) as change \(ack.position), journal has \(history)")
            }
            if let last = acks.max(by: { $0.position < $1.position }), last.state.isFinal {
                #expect(entry.state == last.state && history.count == last.position, "\(id) changed after \(last.state)")
            }
        }
        await outbox.close()
    }
}
