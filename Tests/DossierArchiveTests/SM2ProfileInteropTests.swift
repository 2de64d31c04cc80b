import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// An `sm2-sm3` archive checked outside our code (Tests/Support/check-sm2-bag.py): the SM2
/// signature by PyPI's pure-Python gmssl, the SM3 manifests by `openssl dgst -sm3`, the bag by
/// bagit.py; and the same checker failing on a tampered bag, so that it is known to look.
@Suite struct SM2ProfileInteropTests {
    let temp: TempDir
    let sample: SampleDossier
    let pki = TestPKI.shared
    let checker = packageRoot.appendingPathComponent("Tests/Support/check-sm2-bag.py").path

    init() throws {
        temp = try TempDir()
        sample = try SampleDossier.make(in: temp, seed: 13)
    }

    func packedBag() throws -> String {
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate,
            schema: "dossier/1", sourceOrganization: "Qingyuan Vehicle Administration Office")
        let packed = try ArchivePacker.pack(
            dossierDirectory: sample.dir, bag: bag, identity: pki.sm2Identity("441800"), outputDirectory: temp.url)
        let extract = temp.url.appendingPathComponent("x")
        try FileManager.default.createDirectory(at: extract, withIntermediateDirectories: true)
        #expect(try run("tar", ["xf", packed.path, "-C", extract.path]).status == 0)
        return extract.appendingPathComponent(packed.id).path
    }

    @Test func gmsslOpensslAndBagitAgree() throws {
        let bag = try packedBag()
        let checked = try run("python3", [checker, bag, pki.cert("441800-sm2")])
        #expect(checked.status == 0, "\(checked.stdout)\(checked.stderr)")
    }

    @Test func theCheckerSeesTampering() throws {
        let bag = try packedBag()
        let info = URL(fileURLWithPath: bag).appendingPathComponent("bag-info.txt")
        try (try Data(contentsOf: info) + Data("Vehicle-Note: added\n".utf8)).write(to: info)
        let checked = try run("python3", [checker, bag, pki.cert("441800-sm2")])
        #expect(checked.status == 1)
        #expect(checked.stdout.contains("tagmanifest-sm3.txt: bag-info.txt does not match"), "\(checked.stdout)\(checked.stderr)")
        let other = try run("python3", [checker, bag, pki.cert("430100-sm2")])
        #expect(other.stdout.contains("gmssl: the SM2 signature"), "\(other.stdout)\(other.stderr)")
    }
}
