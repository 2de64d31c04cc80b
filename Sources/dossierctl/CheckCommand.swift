import ArgumentParser
import DossierModel
import DossierText
import Foundation

/// `dossierctl check DIR [--to CODE] [--json]`: validates a dossier folder and, with `--to`, the
/// transfer's eligibility. Exit 0 valid (and eligible), 1 not, 2 the folder cannot be read.
struct CheckCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "check", abstract: CtlText.checkAbstract, discussion: CtlText.checkDiscussion)
    }

    @Argument(help: ArgumentHelp(CtlText.submitDirectoryHelp))
    var directory: String

    @Option(name: .customLong("to"), help: ArgumentHelp(CtlText.checkDestinationHelp))
    var destination: String?

    @Flag(help: ArgumentHelp(CtlText.checkJSONHelp))
    var json = false

    @OptionGroup var credit: CreditOptions

    func run() throws {
        if let destination {
            do { try Division.check(destination) } catch {
                FileHandle.standardError.write(
                    Data(
                        "dossierctl: \(CtlText.invalidDestination(destination, message: error.message, messageZh: error.messageZh))\n".utf8)
                )
                throw ExitCode(2)
            }
        }
        let result: CheckResult
        let restrictions = credit.restrictions
        do {
            result = try DossierFolder.check(
                URL(fileURLWithPath: directory), destination: destination,
                policy: .default, credit: restrictions, today: Date())
        } catch {
            FileHandle.standardError.write(Data("dossierctl: \(error.description)\n".utf8))
            throw ExitCode(2)
        }
        print(json ? CheckReport(result).json : CheckReport(result).text)
        if !result.valid || result.eligible == false { throw ExitCode(1) }
    }
}

/// The printed form of a check: `eligible` is null when no destination was asked about.
struct CheckReport: Encodable {
    let result: CheckResult

    init(_ result: CheckResult) { self.result = result }

    private enum Keys: String, CodingKey { case valid, eligible, problems, warnings }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(result.valid, forKey: .valid)
        try container.encode(result.eligible, forKey: .eligible)
        try container.encode(result.problems, forKey: .problems)
        if !result.warnings.isEmpty { try container.encode(result.warnings, forKey: .warnings) }
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let data = (try? encoder.encode(self)) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    var text: String {
        var lines = [CtlText.checkVerdict(valid: result.valid, eligible: result.eligible)]
        for problem in result.problems {
            lines.append(
                CtlText.checkProblem(code: problem.code, field: problem.field, message: problem.message, messageZh: problem.messageZh))
        }
        lines += result.warnings.map(warningLine)
        return lines.joined(separator: "\n")
    }
}
