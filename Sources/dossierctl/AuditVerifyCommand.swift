import ArgumentParser
import DossierCustody
import Foundation

/// `dossierctl audit verify`: every entry's leaf and every checkpoint's root recomputed, every
/// checkpoint signature checked; the first bad entry or checkpoint reported by its index.
struct AuditVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Recompute the custody log and check every checkpoint and its signature.",
        discussion: "Exit 0 intact, 1 the first bad entry or checkpoint is reported, 2 usage or setup error. "
            + "A torn tail (a write a crash cut short, never acknowledged) is noted, not a fault.")

    @OptionGroup var location: AuditStateOptions
    @Option(help: "CA certificates (PEM) the checkpoint signatures must chain to; repeat for several.") var trust: [String]
    @Flag(help: "Print the verdict as JSON.") var json = false

    /// The JSON shape: `{valid, entries, checkpoints, latestCheckpoint, tornTails, problem}`.
    struct Output: Encodable {
        struct Tail: Encodable {
            var file: String
            var offset: Int
            var bytes: Int
        }
        struct Problem: Encodable {
            /// `entry` or `checkpoint`.
            var kind: String
            var index: UInt64
            var file: String
            var offset: Int?
            var treeSize: UInt64?
            var reason: String
        }
        var valid: Bool
        var entries: Int
        var checkpoints: Int
        var latestCheckpoint: Checkpoint?
        var tornTails: [Tail]
        var problem: Problem?
    }

    func run() throws {
        let store = loadTrust(trust)
        let contents = location.contents()
        let problem = contents.firstProblem(trust: store)
        let output = Output(
            valid: problem == nil, entries: contents.events.count, checkpoints: contents.checkpoints.count,
            latestCheckpoint: contents.latestCheckpoint?.checkpoint,
            tornTails: contents.tornTails.map { Output.Tail(file: $0.file, offset: $0.offset, bytes: $0.bytes) },
            problem: problem.map(Self.describe))
        if json {
            printJSON(output)
        } else {
            print(Self.text(output))
        }
        if problem != nil { throw ExitCode(1) }
    }

    private static func describe(_ problem: CustodyProblem) -> Output.Problem {
        switch problem {
        case .entry(let file, let index, let offset, let damage):
            Output.Problem(kind: "entry", index: index, file: file, offset: offset, treeSize: nil, reason: "\(damage)")
        case .checkpoint(let file, let index, let treeSize, let fault):
            Output.Problem(kind: "checkpoint", index: UInt64(index), file: file, offset: nil, treeSize: treeSize, reason: "\(fault)")
        }
    }

    private static func text(_ output: Output) -> String {
        var lines: [String] = []
        if let problem = output.problem {
            let place = problem.offset.map { " (byte \($0) of \(problem.file))" } ?? problem.treeSize.map { " (tree size \($0))" } ?? ""
            lines.append("INVALID \(problem.kind) \(problem.index)\(place): \(problem.reason)")
        } else {
            let latest =
                output.latestCheckpoint.map {
                    "latest covers \($0.treeSize), root \($0.rootHash), signed by \($0.authority) at \($0.time.formatted(.iso8601))"
                } ?? "none yet"
            lines.append("VALID custody log: \(output.entries) entries, \(output.checkpoints) checkpoints (\(latest))")
        }
        for tail in output.tornTails {
            lines.append(
                "  note: torn tail of \(tail.bytes) bytes at byte \(tail.offset) of \(tail.file) (never acknowledged; cut at the next open)"
            )
        }
        return lines.joined(separator: "\n")
    }
}
