import DossierArchive
import DossierModel
import DossierTransport
import Foundation
import Testing

/// The package's root folder, found from this file's path.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A temporary folder removed when the value is dropped.
final class TempDir: Sendable {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func contents(_ name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(name))) ?? []).sorted()
    }
}

struct ProcessResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// A program with its output going to temporary files (pipes are read with `try!` inside
/// Foundation, which traps on EINTR).
private func prepare(_ executable: String, _ arguments: [String]) throws -> (Process, out: URL, err: URL) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-out-\(UUID().uuidString)")
    let err = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-err-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    return (process, out, err)
}

private func collect(_ process: Process, out: URL, err: URL) -> ProcessResult {
    defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
    return ProcessResult(status: process.terminationStatus,
                         stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                         stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// Runs a program to completion, blocking the calling thread: only for setup outside any
/// server's lifetime.
@discardableResult
func runBlocking(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
    let (process, out, err) = try prepare(executable, arguments)
    try process.run()
    process.waitUntilExit()
    return collect(process, out: out, err: err)
}

/// Runs a program to completion without holding a thread of the cooperative pool, which the
/// in-process server needs to answer it.
@discardableResult
func run(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let (process, out, err) = try prepare(executable, arguments)
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    return collect(process, out: out, err: err)
}

/// A development PKI from Certs/make-dev-pki.sh, made once per test process: a trusted CA with
/// 441800, 430100 and 110000, an expired 441800, a 441800 of an unrelated CA, and a client
/// certificate of the trusted CA without an authority code (`nocode`).
struct TestPKI: Sendable {
    let dir: String
    let other: String

    static let shared: TestPKI = {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-server-pki-\(getpid())").path
        let script = packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path
        for args in [["\(base)/main", "441800", "430100", "110000"], ["--expired", "\(base)/main", "441800"], ["\(base)/other", "441800"]] {
            let result = try? runBlocking(script, args)
            precondition(result?.status == 0, "make-dev-pki.sh failed: \(result?.stderr ?? "did not run")")
        }
        let d = "\(base)/main"
        for args in [
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(d)/nocode.key"],
            ["req", "-new", "-key", "\(d)/nocode.key", "-subj", "/O=test/CN=no authority code", "-out", "\(d)/nocode.csr"],
            ["x509", "-req", "-in", "\(d)/nocode.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key", "-CAcreateserial",
             "-days", "30", "-out", "\(d)/nocode.pem"],
        ] {
            let result = try? runBlocking("openssl", args)
            precondition(result?.status == 0, "openssl failed: \(result?.stderr ?? "did not run")")
        }
        return TestPKI(dir: d, other: "\(base)/other")
    }()

    var ca: String { "\(dir)/ca.pem" }
    func cert(_ name: String) -> String { "\(dir)/\(name).pem" }
    func key(_ name: String) -> String { "\(dir)/\(name).key" }
    func identity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: cert(code), keyFile: key(code))
    }
    func trust() throws -> TrustStore { try TrustStore(caFiles: [ca]) }
}

/// Packs a valid archive of a synthetic dossier from `origin` to `destination` in `dir`;
/// `padding` makes its documents that many bytes in all (at least 12 KiB).
func makeArchive(in dir: TempDir, origin: String = "441800", destination: String = "430100", padding: Int = 0,
                 id: String = ArchiveID.make()) throws -> PackResult {
    let generator = SampleGenerator(seed: UInt64.random(in: 1...(1 << 40)), count: 1, documents: 6,
                                    documentSize: max(2048, padding / 6), origin: origin, destination: destination)
    let folders = try generator.generate(into: dir.url.appendingPathComponent("dossiers-\(id)"))
    let record = try generator.record(0)
    let bag = BagIdentity(origin: origin, destination: destination, vin: record.vehicle.vin, plate: record.plate.number,
                          schema: DossierRecord.schemaName, sourceOrganization: "test")
    let out = dir.url.appendingPathComponent("archives")
    try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    return try ArchivePacker.pack(dossierDirectory: folders[0], bag: bag, identity: try TestPKI.shared.identity(origin),
                                  outputDirectory: out, id: id)
}

/// One answer from the curl command line.
struct CurlAnswer {
    /// 0 when no HTTP answer came (curl's exit code says why).
    var status: Int
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
/// nil for no certificate), as an outside client would.
func curl(port: Int, _ path: String, client: String? = "441800", clientDir: String? = nil, _ extra: [String] = [],
          in dir: TempDir) async throws -> CurlAnswer {
    let body = dir.path("curl-body-\(UUID().uuidString)")
    let headers = dir.path("curl-headers-\(UUID().uuidString)")
    defer { unlink(body); unlink(headers) }
    var args = ["-sS", "--max-time", "30", "--cacert", TestPKI.shared.ca, "-o", body, "-D", headers, "-w", "%{http_code}"]
    if let client {
        let base = clientDir ?? TestPKI.shared.dir
        args += ["--cert", "\(base)/\(client).pem", "--key", "\(base)/\(client).key"]
    }
    let result = try await run("curl", args + extra + ["https://localhost:\(port)\(path)"])
    return CurlAnswer(status: Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, exitCode: result.status,
                      body: [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: body))) ?? Data()),
                      headers: (try? String(contentsOfFile: headers, encoding: .utf8)) ?? "")
}

/// `curl -T archive` with its Content-Digest, as the sender does (without `Expect:` unless
/// `expectContinue`).
func push(_ archive: PackResult, port: Int, as client: String = "441800", id: String? = nil, in dir: TempDir,
          expectContinue: Bool = false, extra: [String] = []) async throws -> CurlAnswer {
    let digest = PeerProtocol.contentDigest(hex: archive.sha256) ?? ""
    let expect = expectContinue ? ["-H", "Expect: 100-continue"] : ["-H", "Expect:"]
    return try await curl(port: port, PeerProtocol.archivePath(id ?? archive.id), client: client,
                          ["-T", archive.path, "-H", "Content-Digest: \(digest)"] + expect + extra, in: dir)
}

/// Waits, polling, until `condition` holds or `seconds` pass.
func eventually(seconds: Double = 10, _ condition: () -> Bool) async throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if condition() { return true }
        try await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}
