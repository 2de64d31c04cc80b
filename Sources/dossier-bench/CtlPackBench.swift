import ArgumentParser
import DossierArchive
import DossierModel
import DossierTestSupport
import Foundation

/// `dossier-bench pack-ctl`: packing as an operator does it, one `dossierctl pack` process per
/// dossier, archives durable on disk, against `tar cf - | openssl dgst -sha256` over the same
/// files (one shell pipeline per dossier); then where one archive's time goes, each part timed
/// in process with the code `dossierctl pack` runs. `DOSSIER_PRODUCTS=<dir>` runs another
/// build's `dossierctl` (an A/B).
struct CtlPackBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pack-ctl", abstract: "dossierctl pack, one process per dossier, against tar | openssl dgst.")
    @OptionGroup var options: BenchOptions
    @Option(help: "Dossiers (one process each).") var dossiers = 40
    @Option(help: "Documents per dossier.") var documents = 5
    @Option(help: "Bytes per document.") var documentSize = 5 << 20

    func run() async throws {
        report(
            try CtlPackBench.figures(dossiers: dossiers, documents: documents, documentSize: documentSize, rounds: options.rounds),
            json: options.json)
    }
}

enum CtlPackBench {
    static func figures(dossiers count: Int, documents: Int, documentSize: Int, rounds: Int) throws -> [Figure] {
        let temp = try TempDir()
        let pki = TestPKI.shared
        let ctl = DossierTestSupport.product("dossierctl")
        let samples = temp.url.appendingPathComponent("dossiers")
        try measureOK([
            ctl, "sample", "--out", samples.path, "--count", "\(count)", "--documents", "\(documents)",
            "--document-size", "\(documentSize)", "--seed", "19", "--origin", "441800", "--destination", "430100",
        ])
        let folders = try FileManager.default.contentsOfDirectory(atPath: samples.path).sorted().map { samples.appendingPathComponent($0) }
        let bytes = Double(count * documents * documentSize)
        let out = temp.url.appendingPathComponent("archives")
        var ours: [Double] = [], theirs: [Double] = []
        for _ in 0..<max(1, rounds) {
            try? FileManager.default.removeItem(at: out)
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            // The file system is mounted with `discard`: the last round's deletions are synced
            // away before the clock starts.
            sync()
            ours.append(
                bytes
                    / (try time {
                        for (i, folder) in folders.enumerated() {
                            try measureOK([
                                ctl, "pack", folder.path, "--to", "430100", "--cert", pki.cert("441800"), "--key", pki.key("441800"),
                                "--out", out.appendingPathComponent("\(i).dva").path,
                            ])
                        }
                    }) / 1e6)
            theirs.append(
                bytes
                    / (try time {
                        for folder in folders {
                            try measureOK(["sh", "-c", "tar cf - -C '\(folder.path)' . | openssl dgst -sha256 >/dev/null"])
                        }
                    }) / 1e6)
        }
        var perArchive = try breakdown(folders, ctl: ctl, pki: pki, temp: temp, rounds: rounds)
        // What the parts measured in a warm process leave of a `dossierctl pack` process's time:
        // the first use of everything in a fresh one (OpenSSL's configuration, the first JSON
        // decoding, the pool's buffers touched for the first time, threads started).
        let whole = bytes / median(ours) / 1e6 / Double(count) * 1000
        let parts = perArchive.filter { $0.name != tmpfsPart }.reduce(0) { $0 + $1.milliseconds }
        perArchive.append(("the rest: a fresh process's first uses", whole - parts))
        let mib = documents * documentSize >> 20
        return [
            .higherIsBetter(
                area: "pack-ctl", figure: "dossierctl pack, a process per \(mib) MiB dossier, durable", value: median(ours),
                unit: "MB/s", baseline: "tar|openssl dgst", baselineValue: median(theirs), minRatio: 0.8)
        ]
            + perArchive.map { part in
                .reported(
                    area: "pack-ctl", figure: "  per archive: \(part.name)", value: part.milliseconds, unit: "ms",
                    baseline: "tar|openssl dgst per dossier", baselineValue: bytes / median(theirs) / 1e6 / Double(count) * 1000)
            }
    }

    /// The breakdown's line for packing onto tmpfs: the same work as the durable line, so not a
    /// part of the whole beside it.
    static let tmpfsPart = "packed in process, tmpfs"

    /// Milliseconds per archive of each part of `dossierctl pack`, medians over `rounds`: the
    /// process (start, argument parsing, exit: `dossierctl pack --help`), the signing key and
    /// certificate loaded, the record checked (validation and eligibility, documents sampled),
    /// the archive packed onto tmpfs (hashing, tar, signature: no disk), and packed durably on
    /// disk (the difference is the write and `fsync`).
    static func breakdown(_ folders: [URL], ctl: String, pki: TestPKI, temp: TempDir, rounds: Int) throws -> [(
        name: String, milliseconds: Double
    )] {
        let n = Double(folders.count)
        let memory = URL(fileURLWithPath: "/dev/shm/dossier-bench-ctl-\(getpid())")
        defer { try? FileManager.default.removeItem(at: memory) }
        let disk = temp.url.appendingPathComponent("breakdown")
        var process: [Double] = [], key: [Double] = [], check: [Double] = [], tmpfs: [Double] = [], durable: [Double] = []
        for _ in 0..<max(1, rounds) {
            process.append(try time { for _ in folders { try measureOK([ctl, "pack", "--help"]) } } / n)
            key.append(try time { for _ in folders { _ = try pki.identity("441800") } } / n)
            check.append(
                try time {
                    for folder in folders {
                        _ = try DossierFolder.check(folder, destination: "430100", policy: .default, today: Date())
                    }
                } / n)
            let identity = try pki.identity("441800")
            tmpfs.append(try packAll(folders, into: memory, identity: identity))
            durable.append(try packAll(folders, into: disk, identity: identity))
        }
        return [
            ("process start and exit", median(process) * 1000), ("key and certificate loaded", median(key) * 1000),
            ("record checked", median(check) * 1000), (tmpfsPart, median(tmpfs) * 1000),
            ("packed in process, durable on disk", median(durable) * 1000),
        ]
    }

    /// Seconds per archive to pack every folder in process into `target`, emptied first.
    static func packAll(_ folders: [URL], into target: URL, identity: SigningIdentity) throws -> Double {
        try? FileManager.default.removeItem(at: target)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        sync()
        return try time {
            for folder in folders {
                _ = try DossierPackager.pack(
                    dossierDirectory: folder, destination: "430100", identity: identity, policy: .default, outputDirectory: target)
            }
        } / Double(folders.count)
    }
}
