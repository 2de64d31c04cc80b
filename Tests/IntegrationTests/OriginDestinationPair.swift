import DossierTestSupport
import Foundation

/// Two daemons for case tests: the destination 430100 first, then the origin 441800 (its
/// peers: the destination and 110000, unreachable; started with `originEnvironment`); the
/// destination learns the origin's URL by a reload (`point`). Both report READY=1.
func originDestinationPair(
    in temp: TempDir, pki: TestPKI, originEnvironment: [String: String] = [:]
) async throws -> (origin: DaemonProcess, destination: DaemonProcess) {
    let destination = try DaemonProcess(code: "430100", in: temp.url, pki: pki, peers: [.init(code: "441800", url: "https://127.0.0.1:1")])
    try await destination.start(notifying: true)
    let origin = try DaemonProcess(
        code: "441800", in: temp.url, pki: pki,
        peers: [.init(code: "430100", url: try destination.url), .init(code: "110000", url: "https://127.0.0.1:1")])
    try await origin.start(environment: originEnvironment, notifying: true)
    try point(destination, at: origin, pki: pki)
    return (origin, destination)
}

/// Makes the destination's one peer the origin at its current URL, by a reload.
func point(_ destination: DaemonProcess, at origin: DaemonProcess, pki: TestPKI) throws {
    try destination.writeConfig(pki: pki, peers: [.init(code: "441800", url: try origin.url)])
    try destination.reload()
}

/// A `--json` answer of dossierctl as a dictionary; empty when it is not one.
func jsonObject(_ result: ProcessResult) -> [String: Any] {
    ((try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any]) ?? [:]
}
