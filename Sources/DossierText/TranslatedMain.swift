import ArgumentParser
import Foundation

extension AsyncParsableCommand {
    /// Parses the command line and runs the command, as ArgumentParser's own `main()` does, but
    /// prints help and usage errors in the operator's language (`ArgumentParserText`) and exits
    /// with `exitStatus(code)`: the one entry point of `dossierd` and `dossierctl`.
    public static func mainInOperatorsLanguage(exitStatus: @Sendable (ExitCode) -> Int32 = { $0.rawValue }) async {
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = ArgumentParserText.translate(fullMessage(for: error))
            if !message.isEmpty {
                (code == .success ? FileHandle.standardOutput : FileHandle.standardError).write(Data((message + "\n").utf8))
            }
            Foundation.exit(exitStatus(code))
        }
    }
}
