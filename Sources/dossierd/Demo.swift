import DossierText
import Foundation

/// `dossierd --demo`: two authorities on loopback, 441800 Qingyuan (origin) and 430100
/// Changsha (destination), each a real `dossierd` process with its own throwaway PKI-signed
/// certificate and state, and `dossier-mock-tsa` as their time-stamping authority; a synthetic
/// dossier dropped into the origin's intake is packed, signed, timestamped (RFC 3161), pushed
/// over mutual TLS, verified (a token required) and receipted. Prints what happened and
/// `dossierctl status` of both sides, then stops both cleanly and removes everything. With
/// `sm2`, both sign with SM2 certificates of an SM2 CA (`[signing]`) beside their EC TLS ones,
/// and Changsha requires the `sm2-sm3` profile.
struct Demo {
    var sm2 = false
    let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        guard FileManager.default.isExecutableFile(atPath: ctl) else {
            throw Failure(description: DaemonText.Demo.missingCtl(ctl))
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dossierd-demo-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let pki = root.appendingPathComponent("pki").path
        say(DaemonText.Demo.pki)
        if sm2 { say(DaemonText.Demo.sm2PKI) }
        let makePKI = sourceRoot.appendingPathComponent("Certs/make-dev-pki.sh").path
        try check(run(makePKI, (sm2 ? ["--sm2"] : []) + [pki, "441800", "430100"]), "make-dev-pki.sh")
        try check(run(makePKI, ["--tsa", "tsa", pki]), "make-dev-pki.sh --tsa")
        say(DaemonText.Demo.tsa)
        let tsa = try startTSA(root: root, pki: pki)
        defer { stop(tsa.process) }
        let tsaURL = try await waitForTSA(tsa.output)
        say(DaemonText.Demo.tsaAt(tsaURL))

        say(DaemonText.Demo.startDestination)
        // Qingyuan's port is not known yet: Changsha starts without peers and learns it by a reload.
        let changsha = try start(code: "430100", root: root, pki: pki, peer: nil, tsa: tsaURL)
        defer { stop(changsha.process) }
        let changshaAddress = try await waitForListen(changsha.state)
        say(DaemonText.Demo.listening(changshaAddress))
        say(DaemonText.Demo.startOrigin)
        let qingyuan = try start(code: "441800", root: root, pki: pki, peer: ("430100", "https://\(changshaAddress)"), tsa: tsaURL)
        defer { stop(qingyuan.process) }
        let qingyuanAddress = try await waitForListen(qingyuan.state)
        say(DaemonText.Demo.listening(qingyuanAddress))
        say(DaemonText.Demo.addsPeer)
        let qingyuanURL = "https://\(qingyuanAddress)"
        try writeConfig(code: "430100", root: root, pki: pki, peer: ("441800", qingyuanURL), tsa: tsaURL)
        kill(changsha.process.processIdentifier, SIGHUP)
        try await waitForPeer(socket: changsha.socket, url: qingyuanURL)

        say(DaemonText.Demo.sample)
        let samples = root.appendingPathComponent("samples")
        let made = try check(
            run(
                ctl,
                [
                    "sample", "--out", samples.path, "--count", "1", "--seed", "\(Int.random(in: 1...9999))",
                    "--documents", "6", "--document-size", "262144",
                ]), "dossierctl sample")
        let dossier = URL(fileURLWithPath: made.trimmingCharacters(in: .whitespacesAndNewlines))
        say(try check(run(ctl, ["check", dossier.path, "--to", "430100"]), "dossierctl check").trimmingCharacters(in: .newlines))

        say(DaemonText.Demo.intake)
        let intake = qingyuan.state.appendingPathComponent("intake/430100")
        try FileManager.default.createDirectory(at: intake, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: dossier, to: intake.appendingPathComponent(dossier.lastPathComponent))
        let id = try await waitForDelivery(socket: qingyuan.socket)
        say(DaemonText.Demo.delivered(id))

        say(DaemonText.Demo.verify)
        let stored = changsha.state.appendingPathComponent("inbox/\(id).dva").path
        let verify = [
            "verify", stored, "--trust", "\(pki)/ca.pem", "--tsa-trust", "\(pki)/ca.pem", "--require-timestamp",
            "--expect-destination", "430100",
        ]
        let sm2Verify = ["--trust", "\(pki)/sm2-ca.pem", "--require-profile", "sm2-sm3"]
        say(try check(run(ctl, verify + (sm2 ? sm2Verify : [])), "dossierctl verify"))
        say(DaemonText.Demo.statusOrigin)
        say(try check(run(ctl, ["status", "--socket", qingyuan.socket]), "dossierctl status"))
        say(DaemonText.Demo.statusDestination)
        say(try check(run(ctl, ["status", "--socket", changsha.socket]), "dossierctl status"))
        say(DaemonText.Demo.stopping)
        for (name, process) in [("441800", qingyuan.process), ("430100", changsha.process)] {
            stop(process)
            say(DaemonText.Demo.exited(name, status: process.terminationStatus))
        }
        say(DaemonText.Demo.complete)
    }

    private var ctl: String { binaries.appendingPathComponent("dossierctl").path }

    private struct Node {
        var process: Process
        var state: URL
        var socket: String
    }

    /// Starts `dossier-mock-tsa` with the PKI's TSA certificate; its stdout goes to `output`.
    private func startTSA(root: URL, pki: String) throws -> (process: Process, output: URL) {
        let output = root.appendingPathComponent("tsa.out").creatingFile()
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("dossier-mock-tsa")
        process.arguments = ["--cert", "\(pki)/tsa.pem", "--key", "\(pki)/tsa.key"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return (process, output)
    }

    /// The TSA's URL, from its `listening 127.0.0.1:<port>` line.
    private func waitForTSA(_ output: URL) async throws -> String {
        for _ in 0..<200 {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }) {
                return "http://\(line.dropFirst("listening ".count))/"
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: "dossier-mock-tsa did not start listening within 10 s")
    }

    /// Writes `<code>.toml` and starts a daemon on it.
    private func start(code: String, root: URL, pki: String, peer: (code: String, url: String)?, tsa: String) throws -> Node {
        let file = try writeConfig(code: code, root: root, pki: pki, peer: peer, tsa: tsa)
        let state = root.appendingPathComponent("state-\(code)")
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("dossierd")
        process.arguments = ["--config", file.path]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: root.appendingPathComponent("\(code).log").creatingFile())
        try process.run()
        return Node(process: process, state: state, socket: state.appendingPathComponent("admin.sock").path)
    }

    /// The demo config of authority `code`, with `peer` as its one push peer (none if nil).
    @discardableResult
    private func writeConfig(code: String, root: URL, pki: String, peer: (code: String, url: String)?, tsa: String) throws -> URL {
        let state = root.appendingPathComponent("state-\(code)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let socket = state.appendingPathComponent("admin.sock").path
        let peerTable =
            peer.map {
                """
                [[peers]]
                code = "\($0.code)"
                name = "\(DaemonText.Demo.officeName($0.code))"
                url = "\($0.url)"
                mode = "push"
                """
            } ?? ""
        let config = """
            [authority]
            code = "\(code)"
            name = "\(DaemonText.Demo.officeName(code))"
            [tls]
            certificate = "\(pki)/\(code).pem"
            key = "\(pki)/\(code).key"
            trust = ["\(pki)/ca.pem"\(sm2 ? ", \"\(pki)/sm2-ca.pem\"" : "")]
            \(sm2 ? "[signing]\ncertificate = \"\(pki)/\(code)-sm2.pem\"\nkey = \"\(pki)/\(code)-sm2.key\"" : "")
            \(sm2 && code == "430100" ? "require_profile = \"sm2-sm3\"" : "")
            [server]
            listen = "127.0.0.1:0"
            [state]
            directory = "\(state.path)"
            [admin]
            socket = "\(socket)"
            [timing]
            intake_poll = "200ms"
            [retry]
            first_delay = "200ms"
            [timestamp]
            url = "\(tsa)"
            trust = ["\(pki)/ca.pem"]
            required = true
            require_timestamp = true
            \(peerTable)
            """
        let file = root.appendingPathComponent("\(code).toml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// Returns once the daemon on `socket` lists a peer at `url` (its reload took).
    private func waitForPeer(socket: String, url: String) async throws {
        for _ in 0..<200 {
            if try run(ctl, ["peers", "--json", "--socket", socket]).out.contains("\"\(url)\"") { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: DaemonText.Demo.peerNotAdded(url))
    }

    private func waitForListen(_ state: URL) async throws -> String {
        let file = state.appendingPathComponent("dossierd.listen")
        for _ in 0..<200 {
            if let text = try? String(contentsOf: file, encoding: .utf8), !text.isEmpty { return text }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: DaemonText.Demo.notListening(state.path))
    }

    private func waitForDelivery(socket: String) async throws -> String {
        for _ in 0..<300 {
            let json = try run(ctl, ["queue", "--json", "--socket", socket]).out
            if let lines = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
                let done = lines.first(where: { $0["state"] as? String == "delivered" }), let id = done["id"] as? String
            {
                return id
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: DaemonText.Demo.noDelivery(socket: socket))
    }

    private func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    private func say(_ text: String) { print(text) }

    @discardableResult
    private func check(_ result: (status: Int32, out: String, err: String), _ what: String) throws -> String {
        guard result.status == 0 else {
            throw Failure(description: DaemonText.Demo.stepFailed(what, status: result.status, output: result.err + result.out))
        }
        return result.out
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: outData, as: UTF8.self), String(decoding: errData, as: UTF8.self))
    }
}

extension URL {
    /// Creates the file empty if missing, and returns its URL.
    func creatingFile() -> URL {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        return self
    }
}
