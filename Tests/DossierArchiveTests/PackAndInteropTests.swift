import DossierArchive
import DossierSystem
import DossierTestSupport
import Foundation
import Synchronization
import Testing

/// Packing round trips, and our archives against the reference tools (bagit.py, openssl cms,
/// GNU tar) in both directions.
@Suite struct PackAndInteropTests {
    let temp: TempDir
    let sample: SampleDossier
    let pki = TestPKI.shared

    init() throws {
        temp = try TempDir()
        sample = try SampleDossier.make(in: temp, seed: 7)
    }

    func pack(id: String = ArchiveID.make()) throws -> PackResult {
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
            schema: "dossier/1", sourceOrganization: "Qingyuan Vehicle Administration Office")
        return try ArchivePacker.pack(
            dossierDirectory: sample.dir, bag: bag, identity: pki.identity("441800"),
            outputDirectory: temp.url, id: id)
    }

    @Test func packThenVerify() throws {
        let packed = try pack()
        let report = try ArchiveVerifier(trust: pki.trust(), expectedDestination: "430100")
            .verify(path: packed.path, digestArchive: true)
        #expect(report.valid, "\(report.reasons)")
        #expect(report.archiveId == packed.id)
        #expect(report.signer?.authority == "441800")
        #expect(report.archiveDigest == packed.sha256)
        #expect(report.archiveSize == packed.size)
        let onDisk = try FileManager.default.attributesOfItem(atPath: packed.path)[.size] as? UInt64
        #expect(onDisk == packed.size)
        // Nothing but the archive is left in the output folder: the temp file was renamed.
        let names = try FileManager.default.contentsOfDirectory(atPath: temp.url.path).filter {
            $0.hasSuffix(".dva") || $0.hasSuffix(".tmp")
        }
        #expect(names == ["\(packed.id).dva"])
    }

    @Test(arguments: [(946_684_799.0, "1999-12-31"), (1_709_164_800.0, "2024-02-29"), (1_798_761_599.0, "2026-12-31")])
    func baggingDateIsTheUTCDayOfPacking(seconds: Double, day: String) throws {
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
            schema: "dossier/1", sourceOrganization: "x")
        let packed = try ArchivePacker.pack(
            dossierDirectory: sample.dir, bag: bag, identity: pki.identity("441800"),
            outputDirectory: temp.url, now: Date(timeIntervalSince1970: seconds))
        let report = try ArchiveVerifier(trust: pki.trust()).verify(path: packed.path, now: Date(timeIntervalSince1970: seconds))
        #expect(report.bagInfo.first { $0.label == "Bagging-Date" }?.value == day)
    }

    /// One file written under several names is one inode (one data sync), the same bytes
    /// under each name, with no temporary file left; replacing one name later leaves the
    /// others as they were; a name that cannot be linked leaves the final name untouched.
    @Test func oneFileWrittenUnderSeveralNamesIsOneInodeEachNameReplacedAlone() throws {
        let folder = temp.url.appendingPathComponent("names")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let (a, b) = (folder.appendingPathComponent("a.json"), folder.appendingPathComponent("vin-b.json"))
        try DurableFile.write(Array("both".utf8), toEachOf: [a, b])
        #expect(try Data(contentsOf: a) == Data("both".utf8) && Data(contentsOf: b) == Data("both".utf8))
        var info = stat()
        #expect(stat(a.path, &info) == 0 && info.st_nlink == 2)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["a.json", "vin-b.json"])

        try DurableFile.write(Array("later".utf8), to: b)
        #expect(try Data(contentsOf: a) == Data("both".utf8) && Data(contentsOf: b) == Data("later".utf8))

        let missing = temp.url.appendingPathComponent("missing/c.json")
        #expect(throws: SystemError.self) { try DurableFile.write(Array("never".utf8), toEachOf: [a, missing]) }
        #expect(try Data(contentsOf: a) == Data("both".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["a.json", "vin-b.json"])
    }

    /// Direct I/O is a hint: aligned and unaligned writes in any order give the same bytes.
    @Test func directWritesKeepEveryByte() throws {
        let url = temp.url.appendingPathComponent("direct.bin")
        let file = try DurableFile(finalURL: url, direct: true)
        var expected: [UInt8] = []
        let aligned = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 4096)
        defer { aligned.deallocate() }
        for (i, size) in [1 << 20, 512 * 3, 1 << 20, 7, 1 << 20].enumerated() {
            let chunk = UnsafeMutableRawBufferPointer(rebasing: aligned[0..<size])
            for j in chunk.indices { chunk[j] = UInt8(truncatingIfNeeded: j &* 31 &+ i) }
            try file.write(UnsafeRawBufferPointer(chunk))
            expected += chunk
        }
        // Several chunks in one call (writev), one of them unaligned; then more than IOV_MAX.
        let parts = [aligned[0..<4096], aligned[100..<612], aligned[0..<(1 << 16)]].map { UnsafeRawBufferPointer(rebasing: $0) }
        try file.write(parts)
        parts.forEach { expected += $0 }
        let many = (0..<2500).map { UnsafeRawBufferPointer(rebasing: aligned[($0 % 7)..<($0 % 7 + 3)]) }
        try file.write(many)
        many.forEach { expected += $0 }
        try file.commit()
        #expect(try Data(contentsOf: url) == Data(expected))
    }

    /// Documents are hashed on helper threads, or on the caller's when every helper is busy:
    /// verifications running at once must each see every document with its own digest.
    @Test func concurrentVerificationsAgreeWithTheDocuments() throws {
        let many = try SampleDossier.make(in: temp, seed: 11, documents: 24, documentSize: 300_000)
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: many.vin, plate: many.plate,
            schema: "dossier/1", sourceOrganization: "x")
        let packed = try ArchivePacker.pack(
            dossierDirectory: many.dir, bag: bag, identity: pki.identity("441800"),
            outputDirectory: temp.url)
        let documents = many.dir.appendingPathComponent("documents")
        var expected: [String: String] = [
            "data/dossier.json": SHA256.hex(of: try Data(contentsOf: many.dir.appendingPathComponent("dossier.json")))
        ]
        for name in try FileManager.default.contentsOfDirectory(atPath: documents.path) {
            expected["data/documents/\(name)"] = SHA256.hex(of: try Data(contentsOf: documents.appendingPathComponent(name)))
        }
        let verifier = ArchiveVerifier(trust: try pki.trust())
        let reports = Mutex<[VerificationReport]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            if let report = try? verifier.verify(path: packed.path, digestArchive: true) { reports.withLock { $0.append(report) } }
        }
        let all = reports.withLock { $0 }
        #expect(all.count == 6)
        for report in all {
            #expect(report.valid, "\(report.reasons)")
            #expect(report.archiveDigest == packed.sha256)
            #expect(Dictionary(uniqueKeysWithValues: report.files.map { ($0.path, $0.sha256) }) == expected)
        }
    }

    @Test func archiveIdsAreTimeOrderedAndSafe() {
        let a = ArchiveID.make(now: Date(timeIntervalSince1970: 1_700_000_000))
        let b = ArchiveID.make(now: Date(timeIntervalSince1970: 1_700_000_001))
        #expect(a < b)
        #expect(ArchiveID.isSafe(a))
        #expect(a.count == 36)
        #expect(!ArchiveID.isSafe("../x"))
        #expect(!ArchiveID.isSafe(""))
        #expect(!ArchiveID.isSafe(".hidden"))
        #expect(ArchiveID.timestamp(of: a) == Date(timeIntervalSince1970: 1_700_000_000))
        #expect(ArchiveID.timestamp(of: "bag-from-another-tool") == nil)
        #expect(ArchiveID.timestamp(of: UUID().uuidString.lowercased()) == nil, "a UUIDv4 carries no time")
    }

    @Test func longAndChineseDocumentNamesUsePax() throws {
        let long = String(repeating: "长文件名", count: 20) + ".pdf"
        try FileManager.default.copyItem(
            at: sample.dir.appendingPathComponent("documents").appendingPathComponent(
                try #require(
                    FileManager.default.contentsOfDirectory(atPath: sample.dir.appendingPathComponent("documents").path).sorted().first)),
            to: sample.dir.appendingPathComponent("documents").appendingPathComponent(long))
        let packed = try pack()
        let report = try ArchiveVerifier(trust: pki.trust()).verify(path: packed.path)
        #expect(report.files.contains { $0.path == "data/documents/\(long)" })
        // GNU tar reads the pax names back.
        let listing = try run("tar", ["tf", packed.path])
        #expect(listing.stdout.contains(long))
    }

    @Test func moreDocumentsThanAVerifierAcceptsAreRefused() throws {
        let documents = sample.dir.appendingPathComponent("documents")
        for i in 0...1_000 { try Data([0x25]).write(to: documents.appendingPathComponent("extra-\(i).pdf")) }
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
            schema: "dossier/1", sourceOrganization: "x")
        #expect(throws: ArchiveError.self) {
            try ArchivePacker.pack(dossierDirectory: sample.dir, bag: bag, identity: pki.identity("441800"), outputDirectory: temp.url)
        }
        let left = try FileManager.default.contentsOfDirectory(atPath: temp.url.path).filter {
            $0.hasSuffix(".dva") || $0.hasSuffix(".tmp")
        }
        #expect(left.isEmpty)
    }

    @Test func signingWithAnotherAuthorityIsRefused() throws {
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
            schema: "dossier/1", sourceOrganization: "x")
        #expect(throws: ArchiveError.signerNotOrigin(certificateCode: "430100", origin: "441800")) {
            try ArchivePacker.pack(dossierDirectory: sample.dir, bag: bag, identity: pki.identity("430100"), outputDirectory: temp.url)
        }
    }

    @Test func ourArchivePassesBagitPyAndOpensslCms() throws {
        let packed = try pack()
        let extract = temp.url.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: extract, withIntermediateDirectories: true)
        #expect(try run("tar", ["xf", packed.path, "-C", extract.path]).status == 0)
        let bag = extract.appendingPathComponent(packed.id).path
        let bagit = try run("python3", ["-m", "bagit", "--validate", bag])
        #expect(bagit.status == 0, "bagit.py: \(bagit.stderr)")
        let cms = try run(
            "openssl",
            [
                "cms", "-verify", "-binary", "-inform", "PEM", "-in", "\(bag)/signatures/tagmanifest-sha256.txt.p7s",
                "-content", "\(bag)/tagmanifest-sha256.txt", "-CAfile", pki.ca, "-purpose", "any", "-out", "/dev/null",
            ])
        #expect(cms.status == 0, "openssl cms: \(cms.stderr)")
    }

    @Test func bagMadeByTheReferenceToolsIsAccepted() throws {
        let bagDir = temp.url.appendingPathComponent("ref-bag-1")
        try FileManager.default.createDirectory(at: bagDir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: sample.dir.appendingPathComponent("dossier.json"), to: bagDir.appendingPathComponent("dossier.json"))
        try FileManager.default.copyItem(at: sample.dir.appendingPathComponent("documents"), to: bagDir.appendingPathComponent("documents"))
        let script = """
            import bagit, sys
            bagit.make_bag(sys.argv[1], {"Source-Organization": "Qingyuan", "External-Identifier": "ref-bag-1",
                "Origin-Authority": "441800", "Destination-Authority": "430100", "Vehicle-VIN": sys.argv[2],
                "Vehicle-Plate": sys.argv[3], "Dossier-Schema": "dossier/1"}, processes=1, checksums=["sha256"])
            """
        let made = try run("python3", ["-c", script, bagDir.path, sample.vin, sample.plate])
        #expect(made.status == 0, "bagit.py: \(made.stderr)")
        try FileManager.default.createDirectory(at: bagDir.appendingPathComponent("signatures"), withIntermediateDirectories: true)
        let signed = try run(
            "openssl",
            [
                "cms", "-sign", "-binary", "-md", "sha256", "-outform", "PEM",
                "-signer", pki.cert("441800"), "-inkey", pki.key("441800"),
                "-in", bagDir.appendingPathComponent("tagmanifest-sha256.txt").path,
                "-out", bagDir.appendingPathComponent("signatures/tagmanifest-sha256.txt.p7s").path,
            ])
        #expect(signed.status == 0, "openssl cms -sign: \(signed.stderr)")
        let archive = temp.path("ref.tar")
        #expect(try run("tar", ["cf", archive, "-C", temp.url.path, "ref-bag-1"]).status == 0)
        let report = try ArchiveVerifier(trust: pki.trust(), expectedDestination: "430100").verify(path: archive)
        #expect(report.valid, "\(report.reasons)")
        #expect(report.signer?.authority == "441800")
    }
}
