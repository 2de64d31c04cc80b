import DossierArchive
import Foundation

/// The package's root folder, found from this file's path.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where `swift build` put the executables (beside the test bundle), or `DOSSIER_PRODUCTS`
/// when set: a benchmark then runs another build's daemon, mock peer and `dossierctl` (an A/B).
public let productsDirectory: URL = {
    if let products = ProcessInfo.processInfo.environment["DOSSIER_PRODUCTS"], !products.isEmpty {
        return URL(fileURLWithPath: products)
    }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathComponents.count > 1, !FileManager.default.fileExists(atPath: url.appendingPathComponent("dossierctl").path) {
        url.deleteLastPathComponent()
    }
    return url
}()

/// The path of a built executable (dossierd, dossierctl, dossier-mock-peer).
public func product(_ name: String) -> String { productsDirectory.appendingPathComponent(name).path }

/// Runs the built `dossierctl`, with `environment` instead of this process's when given.
public func dossierctl(_ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    try run(product("dossierctl"), arguments, environment: environment)
}

/// This process's environment with the messages locale `LANG=lang` (`LC_ALL` and `LC_MESSAGES`
/// removed, so that `LANG` decides).
public func environment(lang: String) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["LC_ALL"] = nil
    environment["LC_MESSAGES"] = nil
    environment["LANG"] = lang
    return environment
}

/// A temporary folder removed when the value is dropped.
public final class TempDir: Sendable {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    /// The names in a subfolder, sorted.
    public func contents(_ name: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path(name))) ?? []).sorted()
    }
}

/// The result of running a program.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// A program with its output going to temporary files (pipes are read with `try!` inside
/// Foundation, which traps on EINTR).
private func prepare(
    _ executable: String, _ arguments: [String], environment: [String: String]? = nil
) throws -> (Process, out: URL, err: URL) {
    let process = Process()
    if let environment { process.environment = environment }
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-out-\(UUID().uuidString)")
    let err = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    _ = FileManager.default.createFile(atPath: err.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: out)
    process.standardError = try FileHandle(forWritingTo: err)
    return (process, out, err)
}

private func collect(_ process: Process, out: URL, err: URL) -> ProcessResult {
    defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
    return ProcessResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
}

/// Runs a program to completion, blocking the calling thread; with `environment` instead of
/// this process's when given.
@discardableResult
public func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws -> ProcessResult {
    let (process, out, err) = try prepare(executable, arguments, environment: environment)
    try process.run()
    process.waitUntilExit()
    return collect(process, out: out, err: err)
}

/// Runs `tool`, found on the PATH, to completion and returns what it printed.
/// - Throws: `HarnessError.failed` with its standard error unless it exits 0.
@discardableResult
public func runSucceeding(_ tool: String, _ arguments: [String]) throws -> String {
    let result = try run("/usr/bin/env", [tool] + arguments)
    guard result.status == 0 else { throw HarnessError.failed("\(tool) \(arguments.prefix(3).joined(separator: " ")): \(result.stderr)") }
    return result.stdout
}

/// Runs a program to completion without holding a thread of the cooperative pool, which an
/// in-process server needs to answer it.
@discardableResult
public func runDetached(_ executable: String, _ arguments: [String]) async throws -> ProcessResult {
    let (process, out, err) = try prepare(executable, arguments)
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do { try process.run() } catch { continuation.resume(throwing: error) }
    }
    return collect(process, out: out, err: err)
}

/// A development PKI made by Certs/make-dev-pki.sh, once per test process: a trusted CA with
/// 441800, 430100, 110000, 440100 and the directory operator `100000` (`directoryOperator`),
/// an expired 441800 and an expired 100000 certificate, an RSA 430100 certificate
/// (`430100-rsa`), an unrelated CA with its own 441800, and a client certificate of the trusted
/// CA without an authority code (`nocode`). CRLs of the trusted CA are made on demand (`crl`).
/// With `--sm2`, the trusted side also has an SM2 CA (`sm2-ca.pem`, in `trust()`) with SM2
/// signing certificates of the four codes (`sm2Identity`), and the unrelated side one for 441800.
public struct TestPKI: Sendable {
    public let dir: String
    public let other: String

    public static let shared: TestPKI = {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-pki-\(getpid())").path
        let script = packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path
        for args in [
            ["--sm2", "\(base)/main", "441800", "430100", "110000", "440100", TestPKI.directoryOperator],
            ["--expired", "--sm2", "\(base)/main", "441800", TestPKI.directoryOperator],
            ["--rsa", "\(base)/main", "430100"], ["--sm2", "\(base)/other", "441800"],
        ] {
            let result = try? run(script, args)
            precondition(result?.status == 0, "make-dev-pki.sh failed: \(result?.stderr ?? "did not run")")
        }
        let d = "\(base)/main"
        for args in [
            ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "\(d)/nocode.key"],
            ["req", "-new", "-key", "\(d)/nocode.key", "-subj", "/O=test/CN=no authority code", "-out", "\(d)/nocode.csr"],
            [
                "x509", "-req", "-in", "\(d)/nocode.csr", "-CA", "\(d)/ca.pem", "-CAkey", "\(d)/ca.key", "-CAcreateserial",
                "-days", "30", "-out", "\(d)/nocode.pem",
            ],
        ] {
            let result = try? run("openssl", args)
            precondition(result?.status == 0, "openssl failed: \(result?.stderr ?? "did not run")")
        }
        return TestPKI(dir: d, other: "\(base)/other")
    }()

    /// The code of the directory operator's certificate (it signs authority directories).
    public static let directoryOperator = "100000"

    public var ca: String { "\(dir)/ca.pem" }
    /// The SM2 CA of the SM2 signing certificates (`<code>-sm2.pem`).
    public var sm2CA: String { "\(dir)/sm2-ca.pem" }
    public func cert(_ name: String) -> String { "\(dir)/\(name).pem" }
    public func key(_ name: String) -> String { "\(dir)/\(name).key" }
    public func identity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: cert(code), keyFile: key(code))
    }
    public func expiredIdentity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: "\(dir)/\(code)-expired.pem", keyFile: "\(dir)/\(code)-expired.key")
    }
    public func untrustedIdentity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: "\(other)/\(code).pem", keyFile: "\(other)/\(code).key")
    }
    /// The SM2 signing identity of `code` (profile `sm2-sm3`), issued by `sm2CA`.
    public func sm2Identity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: cert("\(code)-sm2"), keyFile: key("\(code)-sm2"))
    }
    /// The expired SM2 signing identity of `code`.
    public func expiredSM2Identity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: "\(dir)/\(code)-expired-sm2.pem", keyFile: "\(dir)/\(code)-expired-sm2.key")
    }
    /// An SM2 signing identity of `code` issued by the unrelated SM2 CA.
    public func untrustedSM2Identity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: "\(other)/\(code)-sm2.pem", keyFile: "\(other)/\(code)-sm2.key")
    }
    /// Both CAs of the trusted side, EC and SM2.
    public func trust() throws -> TrustStore { try TrustStore(caFiles: [ca, sm2CA]) }

    /// Writes a CRL to `path` of the trusted CA (or of the CA in `caDir`, e.g. `other`),
    /// revoking the certificates named (e.g. `"430100"`), valid from `thisUpdate` (default now)
    /// to `nextUpdate` (default 30 days on); with `compromisedAt`, the entries say keyCompromise
    /// with that invalidityDate (their revocationDate stays now).
    @discardableResult
    public func crl(
        revoking names: [String] = [], at path: String, thisUpdate: Date? = nil, nextUpdate: Date? = nil,
        caDir: String? = nil, compromisedAt: Date? = nil
    ) throws -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        var args = ["--crl", path]
        if let thisUpdate { args += ["--this-update", formatter.string(from: thisUpdate)] }
        if let nextUpdate { args += ["--next-update", formatter.string(from: nextUpdate)] }
        if let compromisedAt { args += ["--compromised-at", formatter.string(from: compromisedAt)] }
        let result = try run(packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path, args + [caDir ?? dir] + names)
        guard result.status == 0 else { throw TestPKIError.crl(result.stderr) }
        return path
    }

    /// A certificate or CRL the test PKI could not make.
    public enum TestPKIError: Error { case crl(String) }
    /// The trust in force for a server or client of this PKI's CA (no CRLs).
    public func currentTrust() throws -> CurrentTrust { CurrentTrust(try trust()) }

}

/// The codes the verifier reported.
extension VerificationReport {
    public var codes: [String] { reasons.map(\.code) }
}

/// Mounts a tmpfs with `options` (e.g. `size=12m`) on a new folder `name` in `dir`; nil, with
/// the reason printed, where mounting is not permitted (tests needing it then skip).
/// Unmount with `umount -l` when done.
public func mountSmallTmpfs(_ name: String, in dir: URL, options: String) throws -> URL? {
    let folder = dir.appendingPathComponent(name)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let mounted = try run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", folder.path])
    guard mounted.status == 0 else {
        print("skipped: cannot mount a tmpfs here (\(mounted.stderr.trimmingCharacters(in: .whitespacesAndNewlines)))")
        return nil
    }
    return folder
}

/// The number after `field` (`VmHWM:`, `rchar:`) in a `/proc` file of `name: value` lines
/// (`/proc/<pid>/status`, `/proc/thread-self/io`); nil when the file or the field is missing.
public func procValue(_ path: String, _ field: String) -> Double? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8),
        let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field) })
    else { return nil }
    return line.dropFirst(field.count).split(whereSeparator: \.isWhitespace).first.flatMap { Double($0) }
}

/// A `kB` field of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`), in KiB; 0 when it cannot be read.
public func procStatusKiB(_ pid: Int32, _ field: String) -> Double { procValue("/proc/\(pid)/status", field) ?? 0 }

/// CPU seconds (user and system) process `pid` has used so far, from `/proc/<pid>/stat`; nil
/// when there is no such process or Linux's proc file system is missing.
public func processCPUSeconds(pid: Int32) -> Double? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let end = text.lastIndex(of: ")") else {
        return nil
    }
    // After "pid (comm)": state is field 3, utime and stime are fields 14 and 15.
    let fields = text[text.index(after: end)...].split(separator: " ")
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}
