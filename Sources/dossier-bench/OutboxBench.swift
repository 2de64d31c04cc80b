import ArgumentParser

struct OutboxBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "outbox")
    @OptionGroup var options: BenchOptions
    func run() async throws { report([], json: options.json) }
}
