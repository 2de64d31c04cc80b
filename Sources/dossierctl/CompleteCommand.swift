import ArgumentParser
import DossierAdmin
import DossierText

/// `dossierctl complete ID --registered [--plate P] | --refused --reason TEXT`: the destination's
/// decision on an archive it received, signed by the daemon and sent to the origin with retry.
/// Exit 0 when queued or already completed the same way, 1 when refused.
struct CompleteCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "complete", abstract: CtlText.completeAbstract) }
    @OptionGroup var admin: AdminOptions
    @Argument(help: ArgumentHelp(CtlText.completeIdHelp)) var id: String
    @Flag(help: ArgumentHelp(CtlText.registeredHelp)) var registered = false
    @Flag(help: ArgumentHelp(CtlText.refusedHelp)) var refused = false
    @Option(help: ArgumentHelp(CtlText.newPlateHelp)) var plate: String?
    @Option(help: ArgumentHelp(CtlText.reasonHelp)) var reason: [String] = []

    func validate() throws {
        guard registered != refused, !registered || reason.isEmpty, !refused || (!reason.isEmpty && plate == nil) else {
            throw ValidationError(CtlText.completeUsage)
        }
    }

    func run() {
        let completion = admin.client.call(
            "POST", "/complete",
            json: AdminProtocol.Complete(id: id, status: registered ? "registered" : "refused", plate: plate, reasons: reason),
            as: AdminProtocol.Completion.self)
        if admin.json { return printJSON(completion) }
        if completion.alreadyCompleted == true {
            return print(CtlText.alreadyCompleted(id: completion.archiveId, status: completion.status, state: completion.state))
        }
        print(CtlText.completionQueued(id: completion.archiveId, status: completion.status, origin: completion.peer))
    }
}
