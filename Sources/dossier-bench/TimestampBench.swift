import ArgumentParser
import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation

/// `dossier-bench timestamp`: the cost of an RFC 3161 token per archive on loopback — the same
/// dossiers packed with and without a token from `dossier-mock-tsa` (OpenSSL's TS responder over
/// plain HTTP on 127.0.0.1), in the same run, alternating by round.
struct TimestampBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timestamp", abstract: "Packing with a TSA token on loopback against packing without.")
    @OptionGroup var options: BenchOptions

    @Option(help: "Archives packed per round and mode.")
    var archives = 50
    @Option(help: "Documents per dossier (64 KiB each).")
    var documents = 5

    func run() async throws {
        report(try await figures(), json: options.json)
    }

    func figures() async throws -> [Figure] {
        let temp = try TempDir()
        let sample = try SampleDossier.make(in: temp, seed: 5, documents: documents, documentSize: 64 << 10)
        let tsa = try await MockTSAProcess.launch(in: temp)
        defer { tsa.process.terminate() }
        let identity = try TimestampPKI.shared.pki.identity("441800")
        let stamping = Timestamping(
            source: CurlTimestampSource(url: tsa.url, timeout: 10), trust: try TimestampPKI.shared.tsaTrust(), required: true)
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate, schema: "dossier/1",
            sourceOrganization: "bench")
        var plain: [Double] = [], stamped: [Double] = []
        for round in 0..<max(1, options.rounds) {
            for (mode, timestamping) in [("plain", nil), ("stamped", stamping)] as [(String, Timestamping?)] {
                let output = temp.url.appendingPathComponent("\(mode)-\(round)")
                try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
                let seconds = try time {
                    for _ in 0..<archives {
                        _ = try ArchivePacker.pack(
                            dossierDirectory: sample.dir, bag: bag, identity: identity, outputDirectory: output,
                            timestamping: timestamping)
                    }
                }
                try FileManager.default.removeItem(at: output)
                let perArchive = seconds * 1000 / Double(archives)
                if timestamping == nil { plain.append(perArchive) } else { stamped.append(perArchive) }
            }
        }
        return [
            Figure.reported(
                area: "timestamp", figure: "pack + RFC 3161 token on loopback, ms/archive (\(documents) × 64 KiB)",
                value: median(stamped), unit: "ms", baseline: "the same packing without a token", baselineValue: median(plain))
        ]
    }
}
