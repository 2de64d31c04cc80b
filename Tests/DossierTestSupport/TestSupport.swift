import DossierArchive
import Foundation

/// The package's root folder, found from this file's path.
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where `swift build` put the executables (beside the test bundle).
public let productsDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathComponents.count > 1, !FileManager.default.fileExists(atPath: url.appendingPathComponent("dossierctl").path) {
        url.deleteLastPathComponent()
    }
    return url
}()

/// The path of a built executable (dossierd, dossierctl, dossier-mock-peer).
public func product(_ name: String) -> String { productsDirectory.appendingPathComponent(name).path }

/// Runs the built `dossierctl`.
public func dossierctl(_ arguments: [String]) throws -> ProcessResult {
    try run(product("dossierctl"), arguments)
}

/// A temporary folder removed when the value is dropped.
public final class TempDir {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

/// The result of running a program.
public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

/// Runs a program to completion, capturing its output (bounded by the test's own data sizes).
@discardableResult
public func run(_ executable: String, _ arguments: [String], cwd: URL? = nil, environment: [String: String]? = nil) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
    process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
    if let cwd { process.currentDirectoryURL = cwd }
    if let environment { process.environment = environment }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                         stderr: String(decoding: errData, as: UTF8.self))
}

/// A development PKI made by Certs/make-dev-pki.sh, once per test process: a trusted CA with
/// 441800 and 430100, an expired 441800 certificate, and an unrelated CA with its own 441800.
public struct TestPKI: Sendable {
    public let dir: String
    public let other: String

    public static let shared: TestPKI = {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-pki-\(getpid())").path
        let script = packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path
        for args in [["\(base)/main", "441800", "430100"], ["--expired", "\(base)/main", "441800"], ["\(base)/other", "441800"]] {
            let result = try? run(script, args)
            precondition(result?.status == 0, "make-dev-pki.sh failed: \(result?.stderr ?? "did not run")")
        }
        return TestPKI(dir: "\(base)/main", other: "\(base)/other")
    }()

    public var ca: String { "\(dir)/ca.pem" }
    public func cert(_ code: String) -> String { "\(dir)/\(code).pem" }
    public func key(_ code: String) -> String { "\(dir)/\(code).key" }
    public func identity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: cert(code), keyFile: key(code))
    }
    public func expiredIdentity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: "\(dir)/\(code)-expired.pem", keyFile: "\(dir)/\(code)-expired.key")
    }
    public func untrustedIdentity(_ code: String) throws -> SigningIdentity {
        try SigningIdentity(certificateFile: "\(other)/\(code).pem", keyFile: "\(other)/\(code).key")
    }
    public func trust() throws -> TrustStore { try TrustStore(caFiles: [ca]) }
}

/// The codes the verifier reported.
extension VerificationReport {
    public var codes: [String] { reasons.map(\.code) }
}
