import ArgumentParser
import DossierModel
import DossierText
import Foundation

/// `--credit-list FILE [--credit-warn]` of the offline `check` and `pack`: the same screening
/// the daemon applies with `[policy.credit]`.
struct CreditOptions: ParsableArguments {
    @Option(name: .customLong("credit-list"), help: ArgumentHelp(CtlText.creditListHelp)) var file: String?
    @Flag(name: .customLong("credit-warn"), help: ArgumentHelp(CtlText.creditWarnHelp)) var warn = false

    /// The restrictions to screen with; nil without `--credit-list`. Exits 2 (naming the file
    /// and line) on a list that cannot be read or parsed.
    var restrictions: CreditRestrictions? {
        guard let file else { return nil }
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { fail("\(file): \(error.localizedDescription)") }
        do throws(CreditListError) {
            return CreditRestrictions(list: try CreditList.parse(text, source: file), action: warn ? .warn : .block)
        } catch {
            fail(Bilingual(error.description, error.descriptionZh).description)
        }
    }
}

/// A finding that did not block, as `check` and `pack` print it (both languages).
func warningLine(_ problem: Problem) -> String {
    CtlText.packedWithWarning(
        CtlText.checkProblem(code: problem.code, field: problem.field, message: problem.message, messageZh: problem.messageZh))
}
