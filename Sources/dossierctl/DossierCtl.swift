import ArgumentParser
import DossierText
import Foundation

/// The operator's tool. Offline subcommands work on files; the online ones talk to the
/// daemon's admin socket. Exit codes: 0 ok, 1 a negative answer, 2 usage or setup error.
@main
struct DossierCtl: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "dossierctl",
            abstract: CtlText.rootAbstract,
            subcommands: [
                StatusCommand.self, QueueCommand.self, ShowCommand.self, RetryCommand.self, CancelCommand.self,
                PeersCommand.self, SubmitCommand.self, RequestCommand.self, CompleteCommand.self, InboxCommand.self, ReportCommand.self,
                CasesCommand.self,
                PackCommand.self, VerifyCommand.self, InspectCommand.self, CheckCommand.self, SampleCommand.self,
                AuditCommand.self, DirectoryCommand.self,
            ]
        )
    }

    /// Runs the command line, mapping ArgumentParser's usage errors (64) to the documented 2;
    /// help and usage errors in the operator's language.
    static func main() async { await mainInOperatorsLanguage { $0 == .validationFailure ? 2 : $0.rawValue } }
}

/// A setup or usage problem found by a command: printed as `dossierctl: <message>`, exit 2.
struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Prints `dossierctl: <message>` to stderr and exits with `code`.
func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("dossierctl: \(message)\n".utf8))
    exit(code)
}

/// Stable, sorted, pretty JSON with ISO 8601 dates, as every `--json` output prints.
func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    guard let data = try? encoder.encode(value) else { fail(CtlText.jsonEncodingFailed) }
    print(String(decoding: data, as: UTF8.self))
}
