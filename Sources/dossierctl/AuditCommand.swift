import ArgumentParser
import DossierArchive
import DossierCustody
import DossierSystem
import DossierText
import Foundation

/// `dossierctl audit`: the custody log, offline (docs/custody-log.md). Reads the files only, so
/// it may run beside a daemon that is appending.
struct AuditCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "audit", abstract: CtlText.auditAbstract,
            subcommands: [AuditVerifyCommand.self, AuditProveCommand.self, AuditCheckProofCommand.self])
    }
}

/// Options naming a state directory whose custody log is read.
struct AuditStateOptions: ParsableArguments {
    @Option(help: ArgumentHelp(CtlText.auditStateHelp)) var state: String

    /// Reads the log; exits 2 when it cannot be read at all.
    func contents() -> CustodyContents {
        let directory = state + "/" + CustodyLog.stateSubdirectory
        guard FileIO.isDirectory(directory) else { fail(CtlText.noCustodyLog(directory)) }
        do { return try CustodyContents.read(directory: directory) } catch { fail("\(error)") }
    }
}

/// Loads the trust files; exits 2 when one cannot be used.
func loadTrust(_ files: [String]) -> TrustStore {
    do { return try TrustStore(caFiles: files) } catch { fail("\(error)") }
}

/// How the checkpoints' timestamp tokens are judged: against the `--tsa-trust` files, or the
/// `--trust` files when none are given, so that a token present is always checked (a TSA
/// outside those CAs needs `--tsa-trust`). A checkpoint without a token is not refused: the
/// daemon timestamps checkpoints best effort, and never those made for a receipt.
func checkpointTimestamps(tsaTrust: [String], trust: TrustStore) -> TimestampPolicy {
    TimestampPolicy(trust: tsaTrust.isEmpty ? trust : loadTrust(tsaTrust), required: false)
}
