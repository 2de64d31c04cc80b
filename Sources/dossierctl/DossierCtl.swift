import ArgumentParser

/// The operator's tool. Offline subcommands work on files; the online ones talk to the
/// daemon's admin socket. Exit codes: 0 ok, 1 a negative answer, 2 usage or setup error.
@main
struct DossierCtl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossierctl",
        abstract: "Operate a dossierd authority: pack, verify and inspect vehicle archives.",
        subcommands: [CheckCommand.self, SampleCommand.self]
    )
}
