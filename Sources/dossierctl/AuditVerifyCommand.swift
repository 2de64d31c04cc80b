import ArgumentParser
import DossierCustody
import DossierText
import Foundation

/// `dossierctl audit verify`: every entry's leaf and every checkpoint's root recomputed, every
/// checkpoint signature checked; the first bad entry or checkpoint reported by its index.
struct AuditVerifyCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "verify", abstract: CtlText.auditVerifyAbstract, discussion: CtlText.auditVerifyDiscussion)
    }

    @OptionGroup var location: AuditStateOptions
    @Option(help: ArgumentHelp(CtlText.auditTrustHelp)) var trust: [String]
    @Option(name: .customLong("tsa-trust"), help: ArgumentHelp(CtlText.auditTSATrustHelp)) var tsaTrust: [String] = []
    @Flag(help: ArgumentHelp(CtlText.jsonVerdictHelp)) var json = false

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
        let problem = contents.firstProblem(trust: store, timestamps: checkpointTimestamps(tsaTrust: tsaTrust, trust: store))
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
            lines.append(
                CtlText.auditInvalid(
                    kind: problem.kind, index: problem.index, offset: problem.offset, file: problem.file, treeSize: problem.treeSize,
                    reason: problem.reason))
        } else {
            let latest = output.latestCheckpoint.map {
                (treeSize: $0.treeSize, root: "\($0.rootHash)", authority: $0.authority, time: $0.time.formatted(.iso8601))
            }
            lines.append(CtlText.auditValid(entries: output.entries, checkpoints: output.checkpoints, latest: latest))
        }
        for tail in output.tornTails {
            lines.append(CtlText.tornTail(bytes: tail.bytes, offset: tail.offset, file: tail.file))
        }
        return lines.joined(separator: "\n")
    }
}
