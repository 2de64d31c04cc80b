import ArgumentParser

/// Options every benchmark area takes.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Print the figures as JSON.")
    var json = false

    @Option(help: "Rounds per figure; the median is reported.")
    var rounds = 5
}

/// Measures each figure of the issues beside a baseline from the same run (README "Benchmarks").
@main
struct DossierBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier-bench",
        abstract: "Measure dossierd against outside baselines, in the same run.",
        subcommands: [
            AllBenchCommand.self, PackBenchCommand.self, VerifyBenchCommand.self, OutboxBenchCommand.self,
            CustodyBenchCommand.self, TimestampBenchCommand.self,
            TransportBenchCommand.self, EndToEndBenchCommand.self, HostileBenchCommand.self, PushOnceCommand.self,
            DirectoryBenchCommand.self, PushLoadBenchCommand.self, CtlPackBenchCommand.self,
        ],
        defaultSubcommand: AllBenchCommand.self
    )
}

/// `dossier-bench` / `dossier-bench all`: every area, one table.
struct AllBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "Every benchmark, one table (the default).")
    @OptionGroup var options: BenchOptions
    @OptionGroup var archive: ArchiveBenchOptions

    func run() async throws {
        var figures: [Figure] = []
        do {
            let workspace = try ArchiveWorkspace(options: archive)
            figures += try ArchiveBench.packFigures(workspace, rounds: options.rounds)
            figures += try ArchiveBench.verifyFigures(workspace, rounds: options.rounds)
        }
        figures += try await OutboxBenchCommand.parse(["--rounds", "\(options.rounds)"]).figures()
        figures += try await CustodyBenchCommand.parse(["--rounds", "\(options.rounds)"]).figures()
        figures += try await TimestampBenchCommand.parse(["--rounds", "\(options.rounds)"]).figures()
        figures += try await TransportBench.figures(
            TransportWorkspace(), count: 1000, concurrency: 8, bigSize: 1 << 30, rounds: options.rounds)
        figures += try await EndToEndBench.figures(count: 100, rounds: options.rounds)
        figures += try await HostileBench.figures(sizeMiB: 512, count: 200, rounds: options.rounds)
        figures += try await DirectoryBench.figures(authorities: 400, rounds: options.rounds)
        figures += try await DirectoryBench.pushFigures(archives: 400, authorities: 400, rounds: options.rounds)
        report(figures, json: options.json)
    }
}
