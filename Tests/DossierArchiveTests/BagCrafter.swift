import DossierArchive
import DossierTestSupport
import Foundation

/// Builds a signed bag by hand, from its parts, so that each test can change exactly one thing
/// (an extra file, a wrong oxum, a link entry) and still have every other check pass.
struct BagCrafter {
    var id = "crafted-0001"
    /// Payload files, paths relative to the bag (`data/...`).
    var payload: [(path: String, bytes: [UInt8])]
    var origin = "441800"
    var destination = "430100"
    var vin = ""
    var plate = ""
    /// bag-info fields replaced (by label) or added after the generated ones.
    var bagInfoOverrides: [(String, String)] = []
    /// Payload paths left out of the manifest.
    var unlisted: Set<String> = []
    /// Manifest lines added for files that are not there.
    var phantom: [(path: String, digest: String)] = []
    /// The profile of the manifests and bag-info; nil: the signer's (an `sm2-sm3` bag names
    /// its profile in bag-info, a `sha256` one does not, like bags of other tools).
    var profile: ArchiveProfile?

    /// The bag's files in archive order, tag files included and signed by `signer`.
    func files(signer: SigningIdentity) throws -> [(String, [UInt8])] {
        let profile = profile ?? signer.profile
        func sha(_ bytes: [UInt8]) -> String { profile.digest.hex(of: bytes) }
        let manifestLines =
            payload.filter { !unlisted.contains($0.path) }.map { "\(sha($0.bytes))  \($0.path)\n" }
            + phantom.map { "\($0.digest)  \($0.path)\n" }
        let manifest = Array(manifestLines.joined().utf8)
        let octets = payload.reduce(0) { $0 + $1.bytes.count }
        var info: [(String, String)] = [
            ("Source-Organization", "Test"), ("External-Identifier", id), ("Bagging-Date", "2026-11-27"),
            ("Payload-Oxum", "\(octets).\(payload.count)"), ("Origin-Authority", origin),
            ("Destination-Authority", destination), ("Vehicle-VIN", vin), ("Vehicle-Plate", plate),
            ("Dossier-Schema", "dossier/1"),
        ]
        if profile != .sha256 { info.append(("Signature-Profile", profile.rawValue)) }
        for (label, value) in bagInfoOverrides {
            if let i = info.firstIndex(where: { $0.0 == label }) { info[i].1 = value } else { info.append((label, value)) }
        }
        let bagInfo = Array(info.map { "\($0.0): \($0.1)\n" }.joined().utf8)
        let declaration = Array("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".utf8)
        let tagManifest = Array(
            """
            \(sha(declaration))  bagit.txt
            \(sha(bagInfo))  bag-info.txt
            \(sha(manifest))  \(profile.payloadManifest)

            """.utf8)
        let signature = try signer.signDetached(tagManifest)
        return [("bagit.txt", declaration)] + payload.map { ($0.path, $0.bytes) } + [
            (profile.payloadManifest, manifest), ("bag-info.txt", bagInfo),
            (profile.tagManifest, tagManifest), (profile.signaturePath, signature),
        ]
    }

    /// The bag as a tar, with `edit` applied to the file list first.
    func tar(signer: SigningIdentity, edit: (inout [(String, [UInt8])]) -> Void = { _ in }) throws -> [UInt8] {
        var list = try files(signer: signer)
        edit(&list)
        var tar = RawTar()
        for (path, bytes) in list { tar.file("\(id)/\(path)", bytes) }
        tar.end()
        return tar.bytes
    }
}

extension SampleDossier {
    func crafter() throws -> BagCrafter {
        BagCrafter(payload: try payload(), vin: vin, plate: plate)
    }
}
