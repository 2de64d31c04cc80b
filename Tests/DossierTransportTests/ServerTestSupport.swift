import DossierArchive
import DossierModel
import DossierSamples
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// Packs a valid archive of a synthetic dossier from `origin` to `destination` in `dir`;
/// `padding` makes its documents that many bytes in all (at least 12 KiB).
func makeArchive(
    in dir: TempDir, origin: String = "441800", destination: String = "430100", padding: Int = 0,
    id: String = ArchiveID.make()
) throws -> PackResult {
    let generator = SampleGenerator(
        seed: UInt64.random(in: 1...(1 << 40)), count: 1, documents: 6,
        documentSize: max(2048, padding / 6), origin: origin, destination: destination)
    let folders = try generator.generate(into: dir.url.appendingPathComponent("dossiers-\(id)"))
    let record = try generator.record(0)
    let bag = BagIdentity(
        origin: origin, destination: destination, vin: record.vehicle.vin, plate: record.plate.number,
        schema: DossierRecord.schemaName, sourceOrganization: "test")
    let out = dir.url.appendingPathComponent("archives")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    return try ArchivePacker.pack(
        dossierDirectory: folders[0], bag: bag, identity: try TestPKI.shared.identity(origin),
        outputDirectory: out, id: id)
}

/// One answer from the curl command line.
struct CurlAnswer {
    /// 0 when no HTTP answer came (curl's exit code says why).
    var status: Int
    /// The HTTP version the answer came in ("1.1", "2"; "0" when none came).
    var httpVersion: String
    var exitCode: Int32
    var body: [UInt8]
    var headers: String
    var bodyText: String { String(decoding: body, as: UTF8.self) }

    func header(_ name: String) -> String? {
        for line in headers.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name.lowercased() { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    var errorBody: PeerProtocol.ErrorBody? { try? JSONDecoder().decode(PeerProtocol.ErrorBody.self, from: Data(body)) }
}

/// Runs `curl` against `https://localhost:<port><path>` as the client `client` (a PKI name, or
/// nil for no certificate), as an outside client would, over HTTP/1.1 unless `http2`
/// (`curl --http2`: h2 by ALPN when the server offers it).
func curl(
    port: Int, _ path: String, client: String? = "441800", clientDir: String? = nil, _ extra: [String] = [],
    http2: Bool = false, in dir: TempDir
) async throws -> CurlAnswer {
    let body = dir.path("curl-body-\(UUID().uuidString)")
    let headers = dir.path("curl-headers-\(UUID().uuidString)")
    defer { unlink(body); unlink(headers) }
    var args = [
        "-sS", "--max-time", "30", http2 ? "--http2" : "--http1.1", "--cacert", TestPKI.shared.ca, "-o", body, "-D", headers,
        "-w", "%{http_code} %{http_version}",
    ]
    if let client {
        let base = clientDir ?? TestPKI.shared.dir
        args += ["--cert", "\(base)/\(client).pem", "--key", "\(base)/\(client).key"]
    }
    let result = try await runDetached("curl", args + extra + ["https://localhost:\(port)\(path)"])
    let written = result.stdout.split(separator: " ").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    return CurlAnswer(
        status: written.first.flatMap { Int($0) } ?? 0, httpVersion: written.count > 1 ? written[1] : "0", exitCode: result.status,
        body: [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: body))) ?? Data()),
        headers: (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "")
}

/// `curl -T archive` with its Content-Digest, as the sender does (without `Expect:` unless
/// `expectContinue`, and then curl waits up to 20 s for the server's `100 Continue`).
func push(
    _ archive: PackResult, port: Int, as client: String = "441800", id: String? = nil, in dir: TempDir,
    expectContinue: Bool = false, extra: [String] = [], http2: Bool = false
) async throws -> CurlAnswer {
    let digest = PeerProtocol.contentDigest(hex: archive.sha256) ?? ""
    let expect = expectContinue ? ["-H", "Expect: 100-continue", "--expect100-timeout", "20"] : ["-H", "Expect:"]
    return try await curl(
        port: port, PeerProtocol.archivePath(id ?? archive.id), client: client,
        ["-T", archive.path, "-H", "Content-Digest: \(digest)"] + expect + extra, http2: http2, in: dir)
}

/// A `curl` upload running in the background.
struct SlowUpload {
    let process: Process

    /// Ends the upload at once. SIGKILL, because the child may inherit a signal mask that
    /// blocks SIGTERM: `terminate()` would then leave `waitUntilExit` holding a cooperative
    /// thread until curl's own 30 s limit.
    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Starts a 600 KiB push by 441800 at 20 kB/s (`curl --limit-rate`) and returns once the
/// server has begun receiving it: an upload holding a slot and a connection for about 30 s,
/// long enough for a test's next requests on a loaded machine (callers stop it when done).
func startSlowUpload(port: Int, in dir: TempDir) async throws -> SlowUpload {
    let pki = TestPKI.shared
    let slow = try makeArchive(in: dir, padding: 600 << 10)
    let upload = Process()
    upload.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    upload.arguments = [
        "curl", "-sS", "--http1.1", "-o", "/dev/null", "--max-time", "90", "--limit-rate", "20k", "--cacert", pki.ca,
        "--cert", pki.cert("441800"), "--key", pki.key("441800"), "-H", "Expect:", "-T", slow.path,
        "-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: slow.sha256) ?? "")",
        "https://localhost:\(port)\(PeerProtocol.archivePath(slow.id))",
    ]
    try upload.run()
    let started = try await eventually(seconds: 30) { !dir.contents("inbox/.incoming").isEmpty }
    guard started else {
        SlowUpload(process: upload).stop()
        throw HarnessError.failed("the slow upload never began")
    }
    return SlowUpload(process: upload)
}

/// curl's `-H Content-Digest: sha-256=:…:` for the file at `path`, as every push must carry.
func contentDigest(_ path: String) throws -> [String] {
    ["-H", "Content-Digest: \(PeerProtocol.contentDigest(hex: try SHA256.file(path).hex) ?? "")"]
}
