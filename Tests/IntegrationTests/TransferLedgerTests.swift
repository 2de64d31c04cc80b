import DossierTestSupport
import Foundation
import Testing

/// One vehicle, one transfer; one dossier, one archive (docs/architecture.md, "Submissions"),
/// counted where it matters, at the destination: between two real daemons, 441800 (origin,
/// with 110000 as a second, unreachable peer) and 430100 (destination), through a peer's
/// request, SIGKILLs of the origin at each step of intake (`DOSSIERD_TEST_PAUSE_AT`, see
/// Sources/DossierDaemon/TestPause.swift) and a `submit` left unanswered; and a dead transfer,
/// which frees the vehicle.
@Suite(.serialized) struct TransferLedgerTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// The archives the destination accepted, by VIN.
    private func received(_ destination: DaemonProcess) throws -> [String: [String]] {
        try archivesByVehicle(inbox: destination.state.appendingPathComponent("inbox"))
    }

    /// Waits (20 s at most) until `node` logged that a submission is paused at `step`;
    /// returns the archive id it names.
    private func paused(_ node: DaemonProcess, at step: String) async throws -> String {
        func line() -> Substring? { node.log.split(separator: "\n").first { $0.contains("test pause") && $0.contains("step=\(step)") } }
        #expect(try await eventually(seconds: 20) { line() != nil }, "no pause at \(step): \(node.log)")
        let id = try #require(line()?.split(separator: " ").first { $0.hasPrefix("id=") }?.dropFirst(3))
        return String(id)
    }

    @Test func aSecondRequestOfAVehicleInTransferIsRefusedNamingTheFirstArchive() async throws {
        let (origin, destination) = try await originDestinationPair(in: temp, pki: pki)
        let sample = try SampleDossier.make(in: temp, seed: 81)
        let registry = origin.state.appendingPathComponent("registry")
        try FileManager.default.createDirectory(at: registry, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: sample.dir, to: registry.appendingPathComponent(sample.vin))
        let asked = try destination.ctl(["request", "--from", "441800", "--vin", sample.vin, "--plate", sample.plate, "--json"])
        let id = try #require(jsonObject(asked)["archiveId"] as? String, "\(asked.stderr)")
        _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "delivered" } }

        // Another authority asks for the vehicle (POST /v1/requests with its certificate).
        let other = try run(
            "curl",
            [
                "-sS", "-w", "\n%{http_code}", "--cert", pki.cert("110000"), "--key", pki.key("110000"), "--cacert", pki.ca,
                "-H", "Content-Type: application/json", "--data", #"{"vin": "\#(sample.vin)", "plate": "\#(sample.plate)"}"#,
                "\(try origin.url)/v1/requests",
            ])
        #expect(other.stdout.hasSuffix("\n422"), "\(other.stdout) \(other.stderr)")
        #expect(other.stdout.contains("already-transferred") && other.stdout.contains(id), "names the archive: \(other.stdout)")
        #expect(other.stdout.contains("to 430100") && other.stdout.contains("since 20"), "names destination and date: \(other.stdout)")

        // The destination asking again gets the same archive, not a second one.
        let again = try destination.ctl(["request", "--from", "441800", "--vin", sample.vin, "--plate", sample.plate, "--json"])
        #expect(jsonObject(again)["archiveId"] as? String == id, "\(again.stdout) \(again.stderr)")
        #expect(try origin.ctl(["queue", "--json"]).stdout.components(separatedBy: "\"id\"").count == 2, "one entry in the queue")
        #expect(try received(destination) == [sample.vin: [id]])
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    /// For each step of intake processing, a dossier is moved into intake, the origin is
    /// SIGKILLed at that step and started again; in the end the destination holds exactly one
    /// archive of each dossier, intake is empty and nothing was refused.
    @Test func aSIGKILLAtEachStepOfIntakeLeavesOneArchivePerDossierAtTheDestination() async throws {
        let (origin, destination) = try await originDestinationPair(in: temp, pki: pki)
        let intake = origin.state.appendingPathComponent("intake/430100")
        let steps = ["packed", "recorded", "queued", "removing"]
        var vins: [String] = []
        for (index, step) in steps.enumerated() {
            #expect(try await origin.stop() == 0)
            try await origin.start(environment: ["DOSSIERD_TEST_PAUSE_AT": step])
            let sample = try SampleDossier.make(in: temp, seed: 82 + index)
            vins.append(sample.vin)
            try FileManager.default.moveItem(at: sample.dir, to: intake.appendingPathComponent(step))
            _ = try await paused(origin, at: step)
            #expect(try await origin.stop(signal: SIGKILL) != 0)

            try await origin.start()
            do {
                _ = try await origin.waitForQueue { $0.count == index + 1 && $0.allSatisfy { $0["state"] as? String == "delivered" } }
            } catch {
                Issue.record("\(step): \(error)\n\(origin.log)")
                throw error
            }
            #expect(
                try await eventually(seconds: 10) { !FileManager.default.fileExists(atPath: intake.appendingPathComponent(step).path) },
                "\(step): the folder is still in intake")
            #expect(origin.refusedFolders.isEmpty, "\(step): \(origin.refusedFolders)")
            let staging = try FileManager.default.contentsOfDirectory(atPath: origin.state.appendingPathComponent("tmp").path)
            #expect(!staging.contains { $0.hasPrefix("removing-") }, "\(step): left in staging: \(staging)")
        }
        let byVehicle = try received(destination)
        #expect(Set(byVehicle.keys) == Set(vins), "\(byVehicle)")
        #expect(byVehicle.values.allSatisfy { $0.count == 1 }, "a dossier reached the destination twice: \(byVehicle)")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    /// The daemon dies after queueing a submitted dossier but before answering: the operator's
    /// retry after the restart is told the archive already queued, and one archive arrives.
    @Test func aSubmitLeftUnansweredByAKillAndRetriedGetsTheArchiveItQueued() async throws {
        let (origin, destination) = try await originDestinationPair(
            in: temp, pki: pki, originEnvironment: ["DOSSIERD_TEST_PAUSE_AT": "queued"])
        let sample = try SampleDossier.make(in: temp, seed: 87)
        let submit = Process()
        submit.executableURL = URL(fileURLWithPath: product("dossierctl"))
        submit.arguments = ["submit", sample.dir.path, "--to", "430100", "--socket", origin.socket]
        let output = Pipe()
        submit.standardOutput = output
        submit.standardError = output
        try submit.run()
        let id = try await paused(origin, at: "queued")
        #expect(try await origin.stop(signal: SIGKILL) != 0)
        #expect(try await eventually(seconds: 10) { !submit.isRunning })
        let unanswered = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(submit.terminationStatus != 0, "the submission was answered: \(unanswered)")
        #expect(!unanswered.contains(id), "\(unanswered)")

        try await origin.start()
        let retried = try origin.ctl(["submit", sample.dir.path, "--to", "430100"])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(retried.stdout.contains("already queued as \(id)"), "\(retried.stdout)")
        _ = try await origin.waitForQueue { $0.count == 1 && $0.first?["state"] as? String == "delivered" }
        #expect(try received(destination) == [sample.vin: [id]])
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)
    }

    /// A destination answering every push with 403 (a permanent refusal): the archive goes dead,
    /// and the dossier and its vehicle are free again, to the same destination or another.
    @Test func aDeadTransferFreesTheVehicle() async throws {
        let refusing = try await MockPeerProcess.launch(in: temp, ["--fail-next", "1000000", "--fail-status", "403"])
        let origin = try DaemonProcess(
            code: "441800", in: temp.url, pki: pki,
            peers: [.init(code: "430100", url: refusing.url), .init(code: "110000", url: "https://127.0.0.1:1")])
        try await origin.start()
        let sample = try SampleDossier.make(in: temp, seed: 88)
        func submitted(_ folder: URL, to destination: String) throws -> ProcessResult {
            try origin.ctl(["submit", folder.path, "--to", destination, "--json"])
        }
        func dead(_ id: String) async throws {
            _ = try await origin.waitForQueue { $0.contains { $0["id"] as? String == id && $0["state"] as? String == "dead" } }
        }
        let first = try #require(jsonObject(try submitted(sample.dir, to: "430100"))["id"] as? String)
        try await dead(first)

        // The same dossier is queued anew, as a new archive.
        let again = try submitted(sample.dir, to: "430100")
        #expect(again.status == 0, "\(again.stderr)")
        let second = try #require(jsonObject(again)["id"] as? String)
        #expect(second != first && jsonObject(again)["alreadyQueued"] as? Bool != true, "\(again.stdout)")
        try await dead(second)

        // Another dossier of the vehicle may go elsewhere.
        let elsewhere = try SampleDossier.make(in: temp, seed: 88, documents: 7, documentSize: 4096, destination: "110000")
        #expect(elsewhere.vin == sample.vin)
        let moved = try submitted(elsewhere.dir, to: "110000")
        #expect(moved.status == 0, "the vehicle is free again: \(moved.stderr)")
        #expect(try await origin.stop() == 0)
        _ = try await refusing.stop()
    }
}
