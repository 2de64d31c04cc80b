import ArgumentParser
import DossierDaemon
import Foundation
import Logging

/// The daemon's command line. Exit codes: 0 clean stop, 1 a service failed, 2 configuration
/// or setup error (nothing started).
@main
struct DossierD: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossierd",
        abstract: "Exchange signed vehicle registration archives with peer authorities.",
        discussion: "Signals: SIGTERM/SIGINT drain and stop; SIGHUP reloads the configuration and certificates.")

    @Option(help: "The configuration file.") var config = "/etc/dossierd/dossierd.toml"
    @Flag(help: "Check the configuration and the files it names, then exit.") var checkConfig = false
    @Flag(help: "Start even if the journal is damaged (damaged segments are kept aside and reported).") var acceptJournalDamage = false
    @Flag(help: "Run the demo: two authorities on loopback transfer a synthetic dossier.") var demo = false
    @Flag(help: "With --demo: both authorities sign with SM2 (the sm2-sm3 profile) over EC TLS.") var sm2 = false
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel: Logger.Level = .info

    func run() async throws {
        let level = logLevel
        LoggingSystem.bootstrap { KeyValueLogHandler(label: $0, level: level) }
        if demo {
            try await Demo(sm2: sm2).run()
            return
        }
        if checkConfig {
            do {
                let checked = try Daemon.check(configFile: config)
                print("\(config): ok (authority \(checked.authorityCode), \(checked.peers.count) peers)")
            } catch {
                FileHandle.standardError.write(Data("dossierd: \(error)\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        var options = Daemon.Options(configFile: config)
        options.acceptJournalDamage = acceptJournalDamage
        do {
            try await Daemon(options: options).run()
        } catch let error as Daemon.StartError {
            FileHandle.standardError.write(Data("dossierd: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
