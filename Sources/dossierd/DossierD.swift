import ArgumentParser
import DossierDaemon
import DossierText
import Foundation
import Logging

/// The daemon's command line. Exit codes: 0 clean stop, 1 a service failed, 2 configuration
/// or setup error (nothing started).
@main
struct DossierD: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "dossierd", abstract: DaemonText.abstract, discussion: DaemonText.discussion)
    }

    @Option(help: ArgumentHelp(DaemonText.configHelp)) var config = "/etc/dossierd/dossierd.toml"
    @Flag(help: ArgumentHelp(DaemonText.checkConfigHelp)) var checkConfig = false
    @Flag(help: ArgumentHelp(DaemonText.acceptJournalDamageHelp)) var acceptJournalDamage = false
    @Flag(help: ArgumentHelp(DaemonText.demoHelp)) var demo = false
    @Flag(help: ArgumentHelp(DaemonText.demoSM2Help)) var sm2 = false
    @Option(help: ArgumentHelp(DaemonText.logLevelHelp)) var logLevel: Logger.Level = .info

    /// Runs the command line; help and usage errors in the operator's language.
    static func main() async { await mainInOperatorsLanguage() }

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
                print(DaemonText.configOK(file: config, authority: checked.authorityCode, peers: checked.peers.count))
            } catch {
                let problem = (error as? Daemon.StartError)?.operatorDescription ?? "\(error)"
                FileHandle.standardError.write(Data("dossierd: \(DaemonText.checkFailed(problem))\n".utf8))
                throw ExitCode(2)
            }
            return
        }
        var options = Daemon.Options(configFile: config)
        options.acceptJournalDamage = acceptJournalDamage
        do {
            try await Daemon(options: options).run()
        } catch let error as Daemon.StartError {
            FileHandle.standardError.write(Data("dossierd: \(DaemonText.startFailed(error.operatorDescription))\n".utf8))
            throw ExitCode(2)
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
