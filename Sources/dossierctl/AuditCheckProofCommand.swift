import ArgumentParser
import DossierCustody
import DossierSystem
import DossierText
import Foundation

/// `dossierctl audit check-proof FILE`: verifies what `audit prove` printed, offline, with
/// nothing but the CA of the authority that signed the checkpoint.
struct AuditCheckProofCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "check-proof", abstract: CtlText.auditCheckProofAbstract, discussion: CtlText.auditCheckProofDiscussion)
    }

    @Argument(help: ArgumentHelp(CtlText.auditProofFileHelp)) var file: String
    @Option(help: ArgumentHelp(CtlText.auditTrustHelp)) var trust: [String]
    @Option(name: .customLong("tsa-trust"), help: ArgumentHelp(CtlText.auditTSATrustHelp)) var tsaTrust: [String] = []
    @Flag(help: ArgumentHelp(CtlText.jsonVerdictHelp)) var json = false

    /// The JSON shape: `{valid, archiveId, checkpoint, events, reason}`.
    struct Output: Encodable {
        struct Event: Encodable {
            var leafIndex: UInt64
            var event: CustodyEvent
        }
        var valid: Bool
        var archiveId: String?
        var checkpoint: Checkpoint?
        var events: [Event]
        var reason: String?
    }

    func run() throws {
        let store = loadTrust(trust)
        let bytes: [UInt8]
        do { bytes = try FileIO.readAll(file, limit: 64 << 20) } catch { fail("\(error)") }
        let output: Output
        do {
            let bundle = try CustodyProofBundle.parse(json: bytes)
            let verified = try bundle.verify(trust: store, timestamps: checkpointTimestamps(tsaTrust: tsaTrust, trust: store))
            output = Output(
                valid: true, archiveId: bundle.archiveId, checkpoint: verified.checkpoint,
                events: verified.events.map { Output.Event(leafIndex: $0.index, event: $0.event) }, reason: nil)
        } catch {
            output = Output(valid: false, archiveId: nil, checkpoint: nil, events: [], reason: "\(error)")
        }
        if json {
            printJSON(output)
        } else if let checkpoint = output.checkpoint, let id = output.archiveId {
            print(
                CtlText.proofValid(
                    id: id, events: output.events.count, authority: checkpoint.authority, treeSize: checkpoint.treeSize,
                    root: "\(checkpoint.rootHash)", time: checkpoint.time.formatted(.iso8601)))
            for entry in output.events {
                print(
                    CtlText.proofEvent(
                        index: entry.leafIndex, kind: entry.event.kind.rawValue, peer: entry.event.peer,
                        time: entry.event.time.formatted(.iso8601), detail: entry.event.detail))
            }
        } else {
            print(CtlText.proofInvalid(output.reason ?? ""))
        }
        if !output.valid { throw ExitCode(1) }
    }
}
