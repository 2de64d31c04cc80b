import Foundation

/// A synthetic, valid, eligible dossier made by `dossierctl sample` (deterministic per seed).
public struct SampleDossier: Sendable {
    public let dir: URL
    public let vin: String
    public let plate: String

    public static func make(
        in temp: TempDir, seed: Int = 1, documents: Int = 6, documentSize: Int = 8192,
        ineligible: String? = nil, origin: String = "441800", destination: String = "430100"
    ) throws -> SampleDossier {
        let out = temp.url.appendingPathComponent("samples-\(seed)-\(ineligible ?? "ok")-\(UUID().uuidString.prefix(6))")
        let result = try dossierctl(
            [
                "sample", "--out", out.path, "--count", "1", "--seed", "\(seed)",
                "--documents", "\(documents)", "--document-size", "\(documentSize)",
                "--origin", origin, "--destination", destination,
            ] + (ineligible.map { ["--ineligible", $0] } ?? []))
        guard result.status == 0 else { throw HarnessError.failed("dossierctl sample failed: \(result.stderr)") }
        guard let first = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted().first else {
            throw HarnessError.failed("dossierctl sample made nothing in \(out.path)")
        }
        let dir = out.appendingPathComponent(first)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("dossier.json"))) as? [String: Any]
        let vin = (json?["vehicle"] as? [String: Any])?["vin"] as? String ?? ""
        let plate = (json?["plate"] as? [String: Any])?["number"] as? String ?? ""
        return SampleDossier(dir: dir, vin: vin, plate: plate)
    }

    /// The dossier's files as bag payload (`data/...`), sorted.
    public func payload() throws -> [(path: String, bytes: [UInt8])] {
        var files = [(path: "data/dossier.json", bytes: [UInt8](try Data(contentsOf: dir.appendingPathComponent("dossier.json"))))]
        let docs = dir.appendingPathComponent("documents")
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path).sorted() {
            files.append(("data/documents/\(name)", [UInt8](try Data(contentsOf: docs.appendingPathComponent(name)))))
        }
        return files
    }

}
