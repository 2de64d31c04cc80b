// Test support for the SIGKILL crash test: drives an outbox as fast as it can and prints
// "<id> <state> <n>" once each change is acknowledged (its await returned), where n is the
// change's position in the entry's history (print order across tasks is not change order).
// Usage: dossier-outbox-torture STATE_DIR RUN_TAG
import DossierOutbox
import Foundation

func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func acknowledge(_ entry: OutboxEntry) {
    say("\(entry.id) \(entry.state) \(entry.history.count)")
}

let arguments = CommandLine.arguments
guard arguments.count == 3 else {
    FileHandle.standardError.write(Data("usage: dossier-outbox-torture STATE_DIR RUN_TAG\n".utf8))
    exit(2)
}
let state = URL(fileURLWithPath: arguments[1])
let tag = arguments[2]
let incoming = state.appendingPathComponent("incoming")
try? FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)

let options = Outbox.Options(
    journal: Journal.Options(segmentSize: 64 << 10),
    retryPolicy: RetryPolicy(firstDelay: 0, cap: 0),
    circuitThreshold: 1_000_000, maxInFlightPerDestination: 8)
let outbox: Outbox
do {
    (outbox, _) = try await Outbox.open(stateDirectory: state, options: options)
} catch {
    FileHandle.standardError.write(Data("open failed: \(error)\n".utf8))
    exit(1)
}
say("ready")

/// One producer: enqueues its own archives and moves entries along, each step acknowledged.
func produce(_ worker: Int) async {
    var generator = SystemRandomNumberGenerator()
    var n = 0
    while true {
        do {
            switch Int.random(in: 0..<10, using: &generator) {
            case 0..<4:
                n += 1
                let id = "\(tag)-\(worker)-\(n)"
                let archive = incoming.appendingPathComponent(id)
                try Data(repeating: 0x42, count: 32).write(to: archive)
                acknowledge(
                    try await outbox.enqueue(
                        archive: archive, id: id, destination: "P\(worker % 3)", digest: "d", size: 32))
            case 4..<7:
                for entry in try await outbox.claimDue(now: Date(), limit: 2) {
                    acknowledge(entry)
                    if Bool.random(using: &generator) {
                        acknowledge(try await outbox.recordSuccess(id: entry.id, receiptPath: "receipt"))
                    } else {
                        let outcome: DeliveryOutcome = Bool.random(using: &generator) ? .timeout : .httpStatus(404, retryAfter: nil)
                        acknowledge(try await outbox.recordFailure(id: entry.id, outcome: outcome))
                    }
                }
            case 7:
                for entry in try await outbox.requeueAllDead() { acknowledge(entry) }
            default:
                if let entry = await outbox.entries(in: .queued).randomElement(using: &generator) {
                    do {
                        acknowledge(try await outbox.cancel(id: entry.id))
                    } catch OutboxError.illegalTransition {
                        continue
                    }
                }
            }
        } catch {
            FileHandle.standardError.write(Data("failed: \(error)\n".utf8))
            exit(1)
        }
    }
}

await withTaskGroup(of: Void.self) { group in
    for worker in 0..<8 { group.addTask { await produce(worker) } }
}
