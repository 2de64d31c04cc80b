import ArgumentParser

/// Options every benchmark area takes.
struct BenchOptions: ParsableArguments {
    @Flag(help: "Print the figures as JSON.")
    var json = false

    @Option(help: "Rounds per figure; the median is reported.")
    var rounds = 3
}

/// Measures each figure of the issues beside a baseline from the same run (DESIGN.md §7).
@main
struct DossierBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier-bench",
        abstract: "Measure dossierd against outside baselines, in the same run.",
        subcommands: [PackBenchCommand.self, VerifyBenchCommand.self, OutboxBenchCommand.self]
    )
}
