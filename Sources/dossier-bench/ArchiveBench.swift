import ArgumentParser
import DossierArchive
import Foundation

/// Options of the pack and verify benchmarks.
struct ArchiveBenchOptions: ParsableArguments {
    @Option(help: "Dossiers in the generated set.") var dossiers = 200
    @Option(help: "Documents per dossier.") var documents = 5
    @Option(help: "Bytes per document.") var documentSize = 1 << 20
    @Option(help: "Size of the single large dossier for the memory figures (0 to skip).") var bigSize: Int = 2 << 30
    @Flag(help: "Pack and verify in the sm2-sm3 profile (an SM2 signer), against `openssl dgst -sm3`.") var sm2 = false

    /// The digest of the profile measured, as `openssl dgst` names it.
    var digest: String { sm2 ? "sm3" : "sha256" }
    /// The signer's certificate and key in the PKI folder, without `.pem`/`.key`.
    var signer: String { sm2 ? "441800-sm2" : "441800" }
    /// Appended to the figures' names in the sm2-sm3 profile.
    var profileSuffix: String { sm2 ? " (sm2-sm3)" : "" }
}

/// A generated dossier set, its archives and a PKI, under one temp folder removed at the end.
final class ArchiveWorkspace {
    let root: URL
    let dossiers: URL
    let archives: URL
    let pki: URL
    let options: ArchiveBenchOptions
    private(set) var packed: [PackResult] = []
    private(set) var bagCopies: URL

    init(options: ArchiveBenchOptions) throws {
        self.options = options
        root = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-bench-\(getpid())")
        dossiers = root.appendingPathComponent("dossiers")
        archives = root.appendingPathComponent("archives")
        pki = root.appendingPathComponent("pki")
        bagCopies = root.appendingPathComponent("bags")
        for dir in [dossiers, archives, bagCopies] {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        try measureOK(
            [packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path] + (options.sm2 ? ["--sm2"] : []) + [
                pki.path, "441800", "430100",
            ])
        try measureOK([
            productsDirectory.appendingPathComponent("dossierctl").path, "sample", "--out", dossiers.path,
            "--count", "\(options.dossiers)", "--documents", "\(options.documents)",
            "--document-size", "\(options.documentSize)", "--seed", "42",
        ])
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
        try? FileManager.default.removeItem(at: memoryArchives)
    }

    var dossierFolders: [URL] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dossiers.path)) ?? []).sorted().map { dossiers.appendingPathComponent($0) }
    }

    var totalBytes: Double {
        Double(options.dossiers * options.documents * options.documentSize)
    }

    var identity: SigningIdentity {
        get throws {
            try SigningIdentity(
                certificateFile: pki.appendingPathComponent("\(options.signer).pem").path,
                keyFile: pki.appendingPathComponent("\(options.signer).key").path)
        }
    }

    /// Archives on tmpfs, where fsync costs nothing: the packer's CPU cost alone.
    let memoryArchives = URL(fileURLWithPath: "/dev/shm/dossier-bench-\(getpid())")

    /// Packs every dossier (in-process) into `target` (default: on disk, beside the dossiers),
    /// replacing the previous round's archives.
    func packAll(into target: URL? = nil) throws -> Double {
        let archives = target ?? self.archives
        try? FileManager.default.removeItem(at: archives)
        try FileManager.default.createDirectory(at: archives, withIntermediateDirectories: true)
        // The file system is mounted with `discard`: freeing the last round's archives queues
        // discards that the first fsync would otherwise wait for inside the timed section.
        sync()
        let identity = try identity
        var results: [PackResult] = []
        let seconds = try time {
            for (i, folder) in dossierFolders.enumerated() {
                let bag = BagIdentity(
                    origin: "441800", destination: "430100", vin: "LFV2A21K773\(String(format: "%06d", i))",
                    plate: "粤R00000", schema: "dossier/1", sourceOrganization: "bench")
                results.append(try ArchivePacker.pack(dossierDirectory: folder, bag: bag, identity: identity, outputDirectory: archives))
            }
        }
        packed = results
        return seconds
    }

    func verifyAll() throws -> Double {
        // A receiver expecting SM2 archives requires the profile, and so hashes once, in SM3.
        let verifier = ArchiveVerifier(trust: try TrustStore(caFiles: trustFiles), requiredProfile: options.sm2 ? .sm2SM3 : nil)
        return try time {
            for archive in packed {
                _ = try verifier.verify(path: archive.path)
            }
        }
    }

    /// The CA files of the PKI.
    var trustFiles: [String] {
        [pki.appendingPathComponent("ca.pem").path] + (options.sm2 ? [pki.appendingPathComponent("sm2-ca.pem").path] : [])
    }

    /// Hard-linked copies of the dossier folders, for bagit.py to make bags of in place.
    func freshBagCopies() throws {
        try? FileManager.default.removeItem(at: bagCopies)
        try measureOK(["cp", "-al", dossiers.path, bagCopies.path])
    }
}

/// `dossier-bench pack`: packing throughput against tar | openssl dgst and bagit.py.
struct PackBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pack", abstract: "Packing throughput and memory.")
    @OptionGroup var options: BenchOptions
    @OptionGroup var archive: ArchiveBenchOptions

    func run() async throws {
        let workspace = try ArchiveWorkspace(options: archive)
        report(try ArchiveBench.packFigures(workspace, rounds: options.rounds), json: options.json)
    }
}

/// `dossier-bench verify`: verification throughput against openssl dgst and bagit.py.
struct VerifyBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Verification throughput and memory.")
    @OptionGroup var options: BenchOptions
    @OptionGroup var archive: ArchiveBenchOptions

    func run() async throws {
        let workspace = try ArchiveWorkspace(options: archive)
        _ = try workspace.packAll()
        report(try ArchiveBench.verifyFigures(workspace, rounds: options.rounds), json: options.json)
    }
}

enum ArchiveBench {
    /// bagit.py in the digest of argv[2] (sm3 is in its hashlib through OpenSSL, but bagit.py
    /// 1.9 only knows hashlib.algorithms_guaranteed unless told).
    static let bagitMake = """
        import bagit, os, sys
        bagit.CHECKSUM_ALGOS = set(bagit.CHECKSUM_ALGOS) | {"sm3"}
        root = sys.argv[1]
        for name in sorted(os.listdir(root)):
            bagit.make_bag(os.path.join(root, name), processes=1, checksums=[sys.argv[2]])
        """
    static let bagitValidate = """
        import bagit, os, sys
        bagit.CHECKSUM_ALGOS = set(bagit.CHECKSUM_ALGOS) | {"sm3"}
        root = sys.argv[1]
        for name in sorted(os.listdir(root)):
            bagit.Bag(os.path.join(root, name)).validate(processes=1)
        """

    /// Pack throughput two ways: into tmpfs against `tar | openssl dgst` (the CPU work of the
    /// issue's baseline, which writes nothing), and durably on disk (fsync per archive) against
    /// the same pipeline teed to a file on the same disk and synced.
    static func packFigures(_ ws: ArchiveWorkspace, rounds: Int) throws -> [Figure] {
        var memory: [Double] = [], disk: [Double] = [], tarDgst: [Double] = [], tarDurable: [Double] = [], bagit: [Double] = []
        let tarFile = ws.root.appendingPathComponent("baseline.tar").path
        for _ in 0..<rounds {
            memory.append(ws.totalBytes / (try ws.packAll(into: ws.memoryArchives)) / 1e6)
            tarDgst.append(
                ws.totalBytes
                    / (try measureOK(["sh", "-c", "tar cf - -C '\(ws.dossiers.path)' . | openssl dgst -\(ws.options.digest)"]).seconds)
                    / 1e6)
            disk.append(ws.totalBytes / (try ws.packAll()) / 1e6)
            tarDurable.append(
                ws.totalBytes
                    / (try measureOK([
                        "sh", "-c",
                        "tar cf - -C '\(ws.dossiers.path)' . | tee '\(tarFile)' | openssl dgst -\(ws.options.digest) && sync '\(tarFile)'",
                    ]).seconds) / 1e6)
            try? FileManager.default.removeItem(atPath: tarFile)
            try ws.freshBagCopies()
            bagit.append(ws.totalBytes / (try measureOK(["python3", "-c", bagitMake, ws.bagCopies.path, ws.options.digest]).seconds) / 1e6)
        }
        try? FileManager.default.removeItem(at: ws.memoryArchives)
        let figures = [
            Figure.higherIsBetter(
                area: "pack", figure: "pack, archives on tmpfs\(ws.options.profileSuffix)", value: median(memory), unit: "MB/s",
                baseline: "tar|openssl dgst", baselineValue: median(tarDgst), minRatio: 0.8),
            Figure.higherIsBetter(
                area: "pack", figure: "pack, durable on disk\(ws.options.profileSuffix)", value: median(disk), unit: "MB/s",
                baseline: "tar|tee|dgst+sync", baselineValue: median(tarDurable), minRatio: 0.8),
            Figure.higherIsBetter(
                area: "pack", figure: "pack, archives on tmpfs\(ws.options.profileSuffix)", value: median(memory), unit: "MB/s",
                baseline: "bagit.py make", baselineValue: median(bagit), minRatio: 1.5),
        ]
        return figures + (try peakRSSFigure(ws, command: "pack"))
    }

    static func verifyFigures(_ ws: ArchiveWorkspace, rounds: Int) throws -> [Figure] {
        var ours: [Double] = [], dgst: [Double] = [], bagit: [Double] = []
        try ws.freshBagCopies()
        try measureOK(["python3", "-c", bagitMake, ws.bagCopies.path, ws.options.digest])
        let archiveBytes = Double(ws.packed.reduce(0) { $0 + $1.size })
        let digestAll = ["openssl", "dgst", "-\(ws.options.digest)"] + ws.packed.map(\.path)
        // The packer writes around the page cache (O_DIRECT); the issue measures cached files.
        try measureOK(digestAll)
        for _ in 0..<rounds {
            ours.append(archiveBytes / (try ws.verifyAll()) / 1e6)
            dgst.append(archiveBytes / (try measureOK(digestAll).seconds) / 1e6)
            bagit.append(
                ws.totalBytes / (try measureOK(["python3", "-c", bagitValidate, ws.bagCopies.path, ws.options.digest]).seconds) / 1e6)
        }
        let figures = [
            Figure.higherIsBetter(
                area: "verify", figure: "verify throughput\(ws.options.profileSuffix)", value: median(ours), unit: "MB/s",
                baseline: "openssl dgst", baselineValue: median(dgst), minRatio: 0.8),
            Figure.higherIsBetter(
                area: "verify", figure: "verify throughput\(ws.options.profileSuffix)", value: median(ours), unit: "MB/s",
                baseline: "bagit.py validate", baselineValue: median(bagit), minRatio: 1.5),
        ]
        return figures + (try peakRSSFigure(ws, command: "verify"))
    }

    /// Peak RSS of `dossierctl pack` or `verify` on one dossier of `bigSize` bytes (two documents),
    /// against the issue's 64 MiB; none when `bigSize` is 0.
    private static func peakRSSFigure(_ ws: ArchiveWorkspace, command: String) throws -> [Figure] {
        guard let rss = try bigDossierRSS(ws, command: command) else { return [] }
        return [
            .atMost(
                area: command, figure: "\(command) peak RSS, \(ws.options.bigSize >> 20) MiB dossier\(ws.options.profileSuffix)",
                value: rss / 1_048_576, unit: "MiB", limit: 64, limitName: "64 MiB")
        ]
    }

    /// Peak RSS in bytes of `dossierctl pack` or `verify` on one dossier of `bigSize` bytes.
    private static func bigDossierRSS(_ ws: ArchiveWorkspace, command: String) throws -> Double? {
        guard ws.options.bigSize > 0 else { return nil }
        let ctl = productsDirectory.appendingPathComponent("dossierctl").path
        let big = ws.root.appendingPathComponent("big")
        let archive = ws.root.appendingPathComponent("big.dva").path
        if !FileManager.default.fileExists(atPath: big.path) {
            try measureOK([
                ctl, "sample", "--out", big.path, "--count", "1", "--documents", "2",
                "--document-size", "\(ws.options.bigSize / 2)", "--seed", "9",
            ])
        }
        let folder = big.appendingPathComponent(try FileManager.default.contentsOfDirectory(atPath: big.path).sorted()[0])
        let pki = ws.pki.path
        let pack = try measureOK([
            ctl, "pack", folder.path, "--to", "430100", "--cert", "\(pki)/\(ws.options.signer).pem",
            "--key", "\(pki)/\(ws.options.signer).key", "--out", archive,
        ])
        if command == "pack" { return pack.maxRSSBytes }
        return try measureOK([ctl, "verify", archive] + ws.trustFiles.flatMap { ["--trust", $0] }).maxRSSBytes
    }
}
