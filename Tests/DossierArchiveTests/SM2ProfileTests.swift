import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// The `sm2-sm3` profile (docs/archive-format.md, "Profiles"): packing with an SM2 key, the
/// rejection reasons of the `sha256` profile again for SM2 bags, the profile checks, and
/// receipts-style attached signatures.
@Suite struct SM2ProfileTests {
    let temp: TempDir
    let sample: SampleDossier
    let pki = TestPKI.shared

    init() throws {
        temp = try TempDir()
        sample = try SampleDossier.make(in: temp, seed: 11)
    }

    func pack(identity: SigningIdentity) throws -> PackResult {
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
            schema: "dossier/1", sourceOrganization: "Qingyuan Vehicle Administration Office")
        return try ArchivePacker.pack(dossierDirectory: sample.dir, bag: bag, identity: identity, outputDirectory: temp.url)
    }

    func verify(_ bytes: [UInt8], requiredProfile: ArchiveProfile? = nil) throws -> VerificationReport {
        let path = temp.path("archive-\(UUID().uuidString).dva")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ArchiveVerifier(trust: pki.trust(), requiredProfile: requiredProfile).verify(path: path)
    }

    func crafted(_ edit: (inout [(String, [UInt8])]) -> Void = { _ in }) throws -> [UInt8] {
        try sample.crafter().tar(signer: pki.sm2Identity("441800"), edit: edit)
    }

    @Test func sm2KeyMeansTheSM2Profile() throws {
        #expect(try pki.sm2Identity("441800").profile == .sm2SM3)
        #expect(try pki.identity("441800").profile == .sha256)
        #expect(try pki.identity("430100-rsa").profile == .sha256)
    }

    @Test(arguments: [ArchiveProfile?.none, .sm2SM3])
    func packThenVerify(requiredProfile: ArchiveProfile?) throws {
        let packed = try pack(identity: pki.sm2Identity("441800"))
        let verifier = ArchiveVerifier(trust: try pki.trust(), expectedDestination: "430100", requiredProfile: requiredProfile)
        let report = try verifier.verify(path: packed.path, digestArchive: true)
        #expect(report.valid, "\(report.reasons)")
        #expect(report.profile == .sm2SM3)
        #expect(report.signer?.authority == "441800")
        #expect(report.archiveDigest == packed.sha256)
        #expect(report.bagInfo.contains { $0.label == "Signature-Profile" && $0.value == "sm2-sm3" })
        let names = try run("tar", ["tf", packed.path]).stdout.split(separator: "\n").map {
            $0.split(separator: "/").dropFirst().joined(separator: "/")
        }
        #expect(names.contains("manifest-sm3.txt") && names.contains("tagmanifest-sm3.txt"))
        #expect(names.contains("signatures/tagmanifest-sm3.txt.p7s"))
        #expect(!names.contains { $0.contains("sha256") })
        let recordSM3 = try run("openssl", ["dgst", "-sm3", "-r", sample.dir.appendingPathComponent("dossier.json").path])
        #expect(
            report.files.first { $0.path == "data/dossier.json" }?.sha256 == recordSM3.stdout.split(separator: " ").first.map(String.init))
    }

    @Test func inspectionShowsTheProfileAndSM3Digests() throws {
        let packed = try pack(identity: pki.sm2Identity("441800"))
        let report = try ArchiveInspector.inspect(path: packed.path).report
        #expect(report.profile == .sm2SM3)
        #expect(report.signer?.authority == "441800")
        #expect(report.archiveDigest == packed.sha256)
        let recordSM3 = try run("openssl", ["dgst", "-sm3", "-r", sample.dir.appendingPathComponent("dossier.json").path])
        #expect(
            report.files.first { $0.path == "data/dossier.json" }?.sha256 == recordSM3.stdout.split(separator: " ").first.map(String.init))
    }

    @Test func craftedBagIsValid() throws {
        let report = try verify(try crafted())
        #expect(report.valid, "\(report.reasons)")
        #expect(report.profile == .sm2SM3)
    }

    @Test func flippedPayloadByte() throws {
        let report = try verify(
            try crafted { files in
                guard let i = files.firstIndex(where: { $0.0.hasPrefix("data/documents/") }) else { return }
                files[i].1[files[i].1.count / 2] ^= 0x01
            })
        #expect(report.codes == ["digest-mismatch"])
    }

    @Test func flippedManifestByte() throws {
        let report = try verify(
            try crafted { files in
                guard let i = files.firstIndex(where: { $0.0 == "manifest-sm3.txt" }) else { return }
                files[i].1[3] = files[i].1[3] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            })
        #expect(report.codes.contains("digest-mismatch"))
    }

    @Test func editedBagInfo() throws {
        let report = try verify(
            try crafted { files in
                guard let i = files.firstIndex(where: { $0.0 == "bag-info.txt" }) else { return }
                files[i].1 += Array("Vehicle-Note: added after signing\n".utf8)
            })
        #expect(report.codes == ["digest-mismatch"])
    }

    @Test func untrustedCA() throws {
        let report = try verify(try sample.crafter().tar(signer: pki.untrustedSM2Identity("441800")))
        #expect(report.codes == ["untrusted-signer"])
    }

    @Test func expiredSigner() throws {
        let report = try verify(try sample.crafter().tar(signer: pki.expiredSM2Identity("441800")))
        #expect(report.codes == ["expired-signer"])
    }

    @Test func signerIsNotTheOrigin() throws {
        let report = try verify(try sample.crafter().tar(signer: pki.sm2Identity("430100")))
        #expect(report.codes.contains("signer-not-origin"))
    }

    @Test func signatureOverOtherContent() throws {
        let other = try pki.sm2Identity("441800").signDetached(Array("some other tag manifest\n".utf8))
        let report = try verify(
            try crafted { files in
                guard let i = files.firstIndex(where: { $0.0.hasPrefix("signatures/") }) else { return }
                files[i].1 = other
            })
        #expect(report.codes == ["signature-invalid"])
    }

    /// The signature value changed but the signed attributes (and their messageDigest) kept:
    /// only our own check of the SM2 signature can tell, CMS_verify is told not to.
    @Test func flippedSignatureValue() throws {
        let bytes = try crafted { files in
            guard let i = files.firstIndex(where: { $0.0.hasPrefix("signatures/") }) else { return }
            files[i].1 = Self.flipLastSignatureByte(pem: files[i].1)
        }
        #expect(try verify(bytes).codes == ["signature-invalid"])
    }

    @Test func missingSignature() throws {
        let report = try verify(try crafted { $0.removeAll { $0.0.hasPrefix("signatures/") } })
        #expect(report.codes == ["signature-missing"])
    }

    @Test func unlistedMissingAndUnsignedFiles() throws {
        var extra = try sample.crafter()
        extra.payload.append(("data/documents/extra.pdf", Array("%PDF-1.4\n".utf8)))
        extra.unlisted = ["data/documents/extra.pdf"]
        #expect(try verify(try extra.tar(signer: pki.sm2Identity("441800"))).codes.contains("unlisted-file"))
        var phantom = try sample.crafter()
        phantom.phantom = [("data/documents/gone.pdf", String(repeating: "0", count: 64))]
        #expect(try verify(try phantom.tar(signer: pki.sm2Identity("441800"))).codes.contains("missing-file"))
        #expect(try verify(try crafted { $0.append(("notes.txt", Array("not covered".utf8))) }).codes == ["unlisted-file"])
    }

    @Test func wrongPayloadOxum() throws {
        var crafter = try sample.crafter()
        crafter.bagInfoOverrides = [("Payload-Oxum", "1.1")]
        #expect(try verify(try crafter.tar(signer: pki.sm2Identity("441800"))).codes == ["oxum-mismatch"])
    }

    @Test func requiredProfileRefusesTheOther() throws {
        let sha = try verify(try sample.crafter().tar(signer: pki.identity("441800")), requiredProfile: .sm2SM3)
        #expect(sha.codes == ["profile-refused"])
        let sm2 = try verify(try crafted(), requiredProfile: .sha256)
        #expect(sm2.codes == ["profile-refused"])
    }

    @Test func profileAndSignerMustAgree() throws {
        var crafter = try sample.crafter()
        crafter.profile = .sm2SM3
        #expect(try verify(try crafter.tar(signer: pki.identity("441800"))).codes == ["profile-mismatch"])
        crafter.profile = .sha256
        #expect(try verify(try crafter.tar(signer: pki.sm2Identity("441800"))).codes == ["profile-mismatch"])
    }

    @Test func unknownProfileIsRefused() throws {
        var crafter = try sample.crafter()
        crafter.bagInfoOverrides = [("Signature-Profile", "ed25519-sha512")]
        #expect(try verify(try crafter.tar(signer: pki.identity("441800"))).codes == ["profile-unknown"])
    }

    /// An SM2 intermediate CA between the SM2 root and the signer: every certificate below the
    /// root is checked with the GM/T ID, whether the signature carries the intermediate or the
    /// receiver's trust holds it.
    @Test func sm2ChainWithAnIntermediate() throws {
        let dir = temp.url.appendingPathComponent("sm2-chain").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let id = "distid:1234567812345678"
        let steps: [[String]] = [
            ["genpkey", "-algorithm", "SM2", "-out", "\(dir)/sub.key"],
            [
                "req", "-new", "-sm3", "-sigopt", id, "-key", "\(dir)/sub.key", "-subj", "/O=test/CN=SM2 intermediate", "-out",
                "\(dir)/sub.csr",
            ],
            [
                "x509", "-req", "-sm3", "-sigopt", id, "-vfyopt", id, "-in", "\(dir)/sub.csr", "-CA", pki.sm2CA, "-CAkey",
                "\(pki.dir)/sm2-ca.key",
                "-CAcreateserial", "-days", "30", "-extfile", "\(dir)/ca.ext", "-out", "\(dir)/sub.pem",
            ],
            ["genpkey", "-algorithm", "SM2", "-out", "\(dir)/leaf.key"],
            [
                "req", "-new", "-sm3", "-sigopt", id, "-key", "\(dir)/leaf.key", "-subj", "/C=CN/O=test/CN=Qingyuan/serialNumber=441800",
                "-out", "\(dir)/leaf.csr",
            ],
            [
                "x509", "-req", "-sm3", "-sigopt", id, "-vfyopt", id, "-in", "\(dir)/leaf.csr", "-CA", "\(dir)/sub.pem", "-CAkey",
                "\(dir)/sub.key",
                "-CAcreateserial", "-days", "30", "-out", "\(dir)/leaf.pem",
            ],
        ]
        try "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n".write(
            toFile: "\(dir)/ca.ext", atomically: true, encoding: .utf8)
        for step in steps {
            let result = try run("openssl", step)
            try #require(result.status == 0, "openssl \(step.first ?? ""): \(result.stderr)")
        }
        let leaf = try String(contentsOfFile: "\(dir)/leaf.pem", encoding: .utf8)
        let sub = try String(contentsOfFile: "\(dir)/sub.pem", encoding: .utf8)
        try (leaf + sub).write(toFile: "\(dir)/chain.pem", atomically: true, encoding: .utf8)
        let carried = try SigningIdentity(certificateFile: "\(dir)/chain.pem", keyFile: "\(dir)/leaf.key")
        let alone = try SigningIdentity(certificateFile: "\(dir)/leaf.pem", keyFile: "\(dir)/leaf.key")
        let content = Array("tag manifest\n".utf8)
        let rootOnly = try TrustStore(caFiles: [pki.sm2CA])
        let withSub = try TrustStore(caFiles: [pki.sm2CA, "\(dir)/sub.pem"])
        for (identity, trust, expected) in [(carried, rootOnly, [String]()), (alone, withSub, []), (alone, rootOnly, ["untrusted-signer"])]
        {
            let result = SignatureCheck.verifyDetached(
                signature: try identity.signDetached(content), content: content, trust: trust, profile: .sm2SM3)
            #expect(result.findings.map(\.code) == expected, "\(result.findings)")
        }
    }

    @Test func attachedSignatureRoundTrip() throws {
        let content = Array("{\"receipt\":true}".utf8)
        let signed = try pki.sm2Identity("430100").signAttached(content)
        let result = SignatureCheck.verifyAttached(signature: signed, trust: try pki.trust())
        #expect(result.findings.isEmpty, "\(result.findings)")
        #expect(result.content == content)
        #expect(result.profile == .sm2SM3)
        #expect(result.signer?.authority == "430100")
    }

    /// A PEM CMS with the last byte of its signature value (the SignerInfo's last field when
    /// there are no unsigned attributes) flipped.
    static func flipLastSignatureByte(pem: [UInt8]) -> [UInt8] {
        let text = String(decoding: pem, as: UTF8.self)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard var der = Data(base64Encoded: body).map(Array.init), let last = der.indices.last else { return pem }
        der[last] ^= 0x01
        let encoded = Data(der).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        return Array("-----BEGIN CMS-----\n\(encoded)\n-----END CMS-----\n".utf8)
    }
}
