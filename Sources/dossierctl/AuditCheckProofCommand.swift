import ArgumentParser
import DossierCustody
import DossierSystem
import Foundation

/// `dossierctl audit check-proof FILE`: verifies what `audit prove` printed, offline, with
/// nothing but the CA of the authority that signed the checkpoint.
struct AuditCheckProofCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-proof",
        abstract: "Verify a custody proof offline against the signing authority's CA.",
        discussion: "Exit 0 the proof holds, 1 it does not (the reason is printed), 2 usage or setup error.")

    @Argument(help: "The proof (JSON from dossierctl audit prove).") var file: String
    @Option(help: "CA certificates (PEM) the checkpoint signature must chain to; repeat for several.") var trust: [String]
    @Flag(help: "Print the verdict as JSON.") var json = false

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
            let verified = try bundle.verify(trust: store)
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
                "VALID \(id): \(output.events.count) event(s) in the custody log of \(checkpoint.authority), "
                    + "tree size \(checkpoint.treeSize), root \(checkpoint.rootHash), signed at \(checkpoint.time.formatted(.iso8601))")
            for entry in output.events {
                print(
                    "  #\(entry.leafIndex) \(entry.event.kind.rawValue) peer \(entry.event.peer) at \(entry.event.time.formatted(.iso8601))"
                        + (entry.event.detail.map { " — \($0)" } ?? ""))
            }
        } else {
            print("INVALID \(output.reason ?? "")")
        }
        if !output.valid { throw ExitCode(1) }
    }
}
