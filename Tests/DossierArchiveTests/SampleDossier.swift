import Foundation
import Testing

/// Where `swift build` put the executables (beside the test bundle).
let productsDirectory: URL = {
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.pathComponents.count > 1, !FileManager.default.fileExists(atPath: url.appendingPathComponent("dossierctl").path) {
        url.deleteLastPathComponent()
    }
    return url
}()

/// Runs the built `dossierctl`.
func dossierctl(_ arguments: [String]) throws -> ProcessResult {
    try run(productsDirectory.appendingPathComponent("dossierctl").path, arguments)
}

/// A synthetic, valid, eligible dossier made by `dossierctl sample` (deterministic per seed).
struct SampleDossier {
    let dir: URL
    let vin: String
    let plate: String

    static func make(in temp: TempDir, seed: Int = 1, documents: Int = 6, documentSize: Int = 8192) throws -> SampleDossier {
        let out = temp.url.appendingPathComponent("samples-\(seed)")
        let result = try dossierctl(["sample", "--out", out.path, "--count", "1", "--seed", "\(seed)",
                                     "--documents", "\(documents)", "--document-size", "\(documentSize)"])
        try #require(result.status == 0, "dossierctl sample failed: \(result.stderr)")
        let folders = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        let dir = out.appendingPathComponent(try #require(folders.first))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("dossier.json"))) as? [String: Any]
        let vin = (json?["vehicle"] as? [String: Any])?["vin"] as? String ?? ""
        let plate = (json?["plate"] as? [String: Any])?["number"] as? String ?? ""
        return SampleDossier(dir: dir, vin: vin, plate: plate)
    }

    /// The dossier's files as bag payload (`data/...`), sorted.
    func payload() throws -> [(path: String, bytes: [UInt8])] {
        var files = [(path: "data/dossier.json", bytes: [UInt8](try Data(contentsOf: dir.appendingPathComponent("dossier.json"))))]
        let docs = dir.appendingPathComponent("documents")
        for name in try FileManager.default.contentsOfDirectory(atPath: docs.path).sorted() {
            files.append(("data/documents/\(name)", [UInt8](try Data(contentsOf: docs.appendingPathComponent(name)))))
        }
        return files
    }

    func crafter() throws -> BagCrafter {
        BagCrafter(payload: try payload(), vin: vin, plate: plate)
    }
}
