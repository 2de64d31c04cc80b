import DossierText
import Foundation

/// `dossierd --demo`: three authorities on loopback, 441800 Qingyuan (origin), 430100 Changsha
/// (destination) and 440100 Guangzhou, each a real `dossierd` process with its own throwaway
/// PKI-signed certificate and state and no `[[peers]]`: all three take their peers from one
/// authority directory that the directory operator (100000) signs with `dossierctl directory
/// sign` and publishes over mutual-TLS HTTPS (`dossier-mock-peer --publish`), as in
/// docs/directory.md. `dossier-mock-tsa` is their time-stamping authority. A synthetic dossier
/// dropped into Qingyuan's intake is packed, signed, timestamped (RFC 3161), pushed over mutual
/// TLS, verified (a token required) and receipted; Guangzhou shows it knows the other two from
/// the directory alone. Prints what happened and `dossierctl status` of both ends, then stops
/// everything cleanly and removes it. With `sm2`, the authorities sign archives with SM2
/// certificates of an SM2 CA (`[signing]`) beside their EC TLS ones, and Changsha requires the
/// `sm2-sm3` profile.
struct Demo {
    var sm2 = false
    let binaries = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The demo's authorities, origin and destination first.
    static let codes = ["441800", "430100", "440100"]
    /// The directory operator's code: its certificate signs the directory and serves it.
    static let operatorCode = "100000"

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
        try check(run(makePKI, (sm2 ? ["--sm2"] : []) + [pki] + Self.codes + [Self.operatorCode]), "make-dev-pki.sh")
        try check(run(makePKI, ["--tsa", "tsa", pki]), "make-dev-pki.sh --tsa")
        say(DaemonText.Demo.tsa)
        let tsa = try startHelper(
            "dossier-mock-tsa", ["--cert", "\(pki)/tsa.pem", "--key", "\(pki)/tsa.key"], output: root.appendingPathComponent("tsa.out"))
        defer { stop(tsa.process) }
        let tsaURL = "http://\(try await waitForReadyLine(tsa.output, what: "dossier-mock-tsa"))/"
        say(DaemonText.Demo.tsaAt(tsaURL))

        say(DaemonText.Demo.directoryServer)
        let published = root.appendingPathComponent("published")
        try FileManager.default.createDirectory(at: published, withIntermediateDirectories: true)
        let server = try startHelper(
            "dossier-mock-peer",
            [
                "--cert", "\(pki)/\(Self.operatorCode).pem", "--key", "\(pki)/\(Self.operatorCode).key", "--ca", "\(pki)/ca.pem",
                "--state", root.appendingPathComponent("directory-server").path, "--publish", published.path,
            ],
            output: root.appendingPathComponent("directory-server.out"))
        defer { stop(server.process) }
        // `listening 127.0.0.1:<port> control <port>`
        let serverAddress =
            try await waitForReadyLine(server.output, what: "dossier-mock-peer").split(separator: " ").first.map(String.init) ?? ""
        let directoryURL = "https://\(serverAddress)/published/directory.p7m"
        say(DaemonText.Demo.directoryAt(directoryURL))

        say(DaemonText.Demo.startAuthorities)
        var nodes: [Node] = []
        defer { nodes.forEach { stop($0.process) } }
        for code in Self.codes {
            nodes.append(try start(code: code, root: root, pki: pki, directory: directoryURL, tsa: tsaURL))
        }
        var urls: [String: String] = [:]
        for node in nodes {
            urls[node.code] = "https://\(try await waitForListen(node.state))"
            say(DaemonText.Demo.listening(node.code, urls[node.code] ?? ""))
        }

        say(DaemonText.Demo.signDirectory)
        let signed = published.appendingPathComponent("directory.p7m").path
        let input = try writeDirectory(urls: urls, root: root)
        say(
            try check(
                run(ctl, ["directory", "sign", "--in", input.path] + operatorKey(pki) + ["--out", signed]), "dossierctl directory sign"))
        say(try check(run(ctl, ["directory", "verify", signed, "--trust", "\(pki)/ca.pem"]), "dossierctl directory verify"))
        say(DaemonText.Demo.fetchDirectory)
        for node in nodes {
            kill(node.process.processIdentifier, SIGHUP)
            try await waitForPeers(socket: node.socket, count: Self.codes.count - 1)
        }
        let (qingyuan, changsha, guangzhou) = (nodes[0], nodes[1], nodes[2])
        say(DaemonText.Demo.thirdPeers)
        say(try check(run(ctl, ["peers", "--socket", guangzhou.socket]), "dossierctl peers"))

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
        say(try check(run(ctl, ["check", dossier.path, "--to", changsha.code]), "dossierctl check").trimmingCharacters(in: .newlines))

        say(DaemonText.Demo.intake)
        let intake = qingyuan.state.appendingPathComponent("intake/\(changsha.code)")
        try FileManager.default.createDirectory(at: intake, withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: dossier, to: intake.appendingPathComponent(dossier.lastPathComponent))
        let id = try await waitForDelivery(socket: qingyuan.socket)
        say(DaemonText.Demo.delivered(id))

        say(DaemonText.Demo.verify)
        let stored = changsha.state.appendingPathComponent("inbox/\(id).dva").path
        let verify = [
            "verify", stored, "--trust", "\(pki)/ca.pem", "--tsa-trust", "\(pki)/ca.pem", "--require-timestamp",
            "--expect-destination", changsha.code,
        ]
        let sm2Verify = ["--trust", "\(pki)/sm2-ca.pem", "--require-profile", "sm2-sm3"]
        say(try check(run(ctl, verify + (sm2 ? sm2Verify : [])), "dossierctl verify"))
        say(DaemonText.Demo.statusOrigin)
        say(try check(run(ctl, ["status", "--socket", qingyuan.socket]), "dossierctl status"))
        say(DaemonText.Demo.statusDestination)
        say(try check(run(ctl, ["status", "--socket", changsha.socket]), "dossierctl status"))
        say(DaemonText.Demo.stopping)
        for node in nodes {
            stop(node.process)
            say(DaemonText.Demo.exited(node.code, status: node.process.terminationStatus))
        }
        say(DaemonText.Demo.complete)
    }

    private var ctl: String { binaries.appendingPathComponent("dossierctl").path }

    private struct Node {
        var code: String
        var process: Process
        var state: URL
        var socket: String
    }

    /// Starts the helper program `name` (a mock beside `dossierd`); its stdout goes to `output`.
    private func startHelper(_ name: String, _ arguments: [String], output: URL) throws -> (process: Process, output: URL) {
        let process = Process()
        process.executableURL = binaries.appendingPathComponent(name)
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: output.creatingFile())
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        return (process, output)
    }

    /// What follows `listening ` on the first such line of a mock's `output`: its address first.
    private func waitForReadyLine(_ output: URL, what: String) async throws -> String {
        for _ in 0..<200 {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("listening ") }) {
                return String(line.dropFirst("listening ".count))
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: DaemonText.Demo.helperNotListening(what))
    }

    /// Writes `<code>.toml` and starts a daemon on it.
    private func start(code: String, root: URL, pki: String, directory: String, tsa: String) throws -> Node {
        let state = root.appendingPathComponent("state-\(code)")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let socket = state.appendingPathComponent("admin.sock").path
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
            [directory]
            url = "\(directory)"
            trust = ["\(pki)/ca.pem"]
            refresh = "1h"
            """
        let file = root.appendingPathComponent("\(code).toml")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = binaries.appendingPathComponent("dossierd")
        process.arguments = ["--config", file.path]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = try FileHandle(forWritingTo: root.appendingPathComponent("\(code).log").creatingFile())
        try process.run()
        return Node(code: code, process: process, state: state, socket: socket)
    }

    /// The operator's directory content (docs/directory.md, "Format"), serial 1, valid a week:
    /// each authority at its URL, push mode, active. Written as `authorities.json`.
    private func writeDirectory(urls: [String: String], root: URL) throws -> URL {
        let formatter = ISO8601DateFormatter()
        let now = Date()
        let authorities: [[String: Any]] = Self.codes.map { code in
            [
                "code": code, "name": DaemonText.Demo.officeNames(code).en,
                "nameZh": DaemonText.Demo.officeNames(code).zh, "url": urls[code] ?? "", "modes": ["push"],
                "spkiSha256": [String](), "status": "active",
            ]
        }
        let directory: [String: Any] = [
            "serial": 1, "issuedAt": formatter.string(from: now), "nextUpdate": formatter.string(from: now.addingTimeInterval(7 * 86_400)),
            "issuer": DaemonText.Demo.officeNames(Self.operatorCode).en, "authorities": authorities,
        ]
        let file = root.appendingPathComponent("authorities.json")
        try JSONSerialization.data(withJSONObject: directory, options: [.prettyPrinted, .sortedKeys]).write(to: file)
        return file
    }

    private func operatorKey(_ pki: String) -> [String] {
        ["--cert", "\(pki)/\(Self.operatorCode).pem", "--key", "\(pki)/\(Self.operatorCode).key"]
    }

    /// Returns once the daemon on `socket` lists `count` peers, all from the directory (its fetch
    /// after SIGHUP took).
    private func waitForPeers(socket: String, count: Int) async throws {
        for _ in 0..<200 {
            let json = try run(ctl, ["peers", "--json", "--socket", socket]).out
            if let peers = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]], peers.count == count,
                peers.allSatisfy({ $0["source"] as? String == "directory" })
            {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure(description: DaemonText.Demo.peersNotFetched(socket: socket, count: count))
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
