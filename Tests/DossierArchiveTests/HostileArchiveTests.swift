import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// Every rejection reason of docs/archive-format.md, each from an archive crafted by hand.
@Suite struct HostileArchiveTests {
    let temp: TempDir
    let sample: SampleDossier
    let pki = TestPKI.shared

    init() throws {
        temp = try TempDir()
        sample = try SampleDossier.make(in: temp)
    }

    func verify(_ bytes: [UInt8], limits: ArchiveLimits = .default) throws -> VerificationReport {
        let path = temp.path("archive-\(UUID().uuidString).dva")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return try ArchiveVerifier(trust: pki.trust(), limits: limits).verify(path: path)
    }

    func crafted(_ edit: (inout [(String, [UInt8])]) -> Void = { _ in }) throws -> [UInt8] {
        try sample.crafter().tar(signer: pki.identity("441800"), edit: edit)
    }

    @Test func craftedBagIsValid() throws {
        let report = try verify(try crafted())
        #expect(report.valid, "\(report.reasons)")
        #expect(report.archiveId == "crafted-0001")
    }

    @Test func flippedPayloadByte() throws {
        let report = try verify(
            try crafted { files in
                let i = files.firstIndex { $0.0.hasPrefix("data/documents/") }!
                files[i].1[files[i].1.count / 2] ^= 0x01
            })
        #expect(report.codes.contains("digest-mismatch"))
        #expect(!report.valid)
    }

    @Test func flippedManifestByte() throws {
        let report = try verify(
            try crafted { files in
                let i = files.firstIndex { $0.0 == "manifest-sha256.txt" }!
                files[i].1[3] = files[i].1[3] == UInt8(ascii: "a") ? UInt8(ascii: "b") : UInt8(ascii: "a")
            })
        #expect(report.codes.contains("digest-mismatch"))
    }

    @Test func editedBagInfo() throws {
        let report = try verify(
            try crafted { files in
                let i = files.firstIndex { $0.0 == "bag-info.txt" }!
                files[i].1 += Array("Vehicle-Note: added after signing\n".utf8)
            })
        #expect(report.codes == ["digest-mismatch"])
    }

    @Test func untrustedCA() throws {
        let report = try verify(try sample.crafter().tar(signer: pki.untrustedIdentity("441800")))
        #expect(report.codes == ["untrusted-signer"])
    }

    @Test func expiredSigner() throws {
        let report = try verify(try sample.crafter().tar(signer: pki.expiredIdentity("441800")))
        #expect(report.codes == ["expired-signer"])
    }

    @Test func signerIsNotTheOrigin() throws {
        let report = try verify(try sample.crafter().tar(signer: pki.identity("430100")))
        #expect(report.codes.contains("signer-not-origin"))
    }

    @Test func signatureOverOtherContent() throws {
        let other = try pki.identity("441800").signDetached(Array("some other tag manifest\n".utf8))
        let report = try verify(
            try crafted { files in
                let i = files.firstIndex { $0.0.hasPrefix("signatures/") }!
                files[i].1 = other
            })
        #expect(report.codes == ["signature-invalid"])
    }

    @Test func missingSignature() throws {
        let report = try verify(try crafted { $0.removeAll { $0.0.hasPrefix("signatures/") } })
        #expect(report.codes == ["signature-missing"])
    }

    @Test func dotDotEntry() throws {
        var tar = RawTar()
        tar.file("crafted-0001/bagit.txt", Array("BagIt-Version: 1.0\n".utf8))
        tar.file("crafted-0001/data/../../etc/passwd", Array("x".utf8))
        tar.end()
        #expect(try verify(tar.bytes).codes.contains("path-traversal"))
    }

    @Test func absolutePath() throws {
        var tar = RawTar()
        tar.file("/etc/passwd", Array("x".utf8))
        tar.end()
        #expect(try verify(tar.bytes).codes.contains("absolute-path"))
    }

    @Test func symlinkAndHardlinkEntries() throws {
        for flag: Character in ["1", "2"] {
            let report = try verify(
                try crafted().withExtraEntry { tar in
                    tar.header("crafted-0001/data/documents/link", size: 0, flag: flag, linkName: "/etc/shadow")
                })
            #expect(report.codes.contains("link-entry"), "type \(flag): \(report.codes)")
        }
    }

    @Test func deviceEntry() throws {
        let report = try verify(try crafted().withExtraEntry { $0.header("crafted-0001/data/dev", size: 0, flag: "3") })
        #expect(report.codes.contains("special-entry"))
    }

    @Test func duplicateEntry() throws {
        let report = try verify(try crafted { files in files.append(files[1]) })
        #expect(report.codes.contains("duplicate-entry"))
    }

    @Test func unlistedExtraFile() throws {
        var crafter = try sample.crafter()
        crafter.payload.append(("data/documents/extra.pdf", Array("%PDF-1.4\n".utf8)))
        crafter.unlisted = ["data/documents/extra.pdf"]
        let report = try verify(try crafter.tar(signer: pki.identity("441800")))
        #expect(report.codes.contains("unlisted-file"))
    }

    @Test func unsignedTagFile() throws {
        let report = try verify(try crafted { $0.append(("notes.txt", Array("not covered".utf8))) })
        #expect(report.codes == ["unlisted-file"])
    }

    @Test func missingFile() throws {
        var crafter = try sample.crafter()
        crafter.phantom = [("data/documents/gone.pdf", String(repeating: "0", count: 64))]
        let report = try verify(try crafter.tar(signer: pki.identity("441800")))
        #expect(report.codes.contains("missing-file"))
    }

    @Test func wrongPayloadOxum() throws {
        var crafter = try sample.crafter()
        crafter.bagInfoOverrides = [("Payload-Oxum", "1.1")]
        let report = try verify(try crafter.tar(signer: pki.identity("441800")))
        #expect(report.codes == ["oxum-mismatch"])
    }

    @Test func truncatedAtEveryBlock() throws {
        let whole = try crafted()
        // Every cut inside the archive proper (the last 1024 bytes are the end marker; an empty
        // file is not-a-tar, tested on its own).
        for cut in stride(from: 512, to: whole.count - 1024, by: 512) + [100, 513, whole.count - 1500] {
            let report = try verify(Array(whole.prefix(cut)))
            #expect(!report.valid, "cut at \(cut)")
            #expect(report.codes.contains("truncated"), "cut at \(cut) of \(whole.count): \(report.codes) \(report.reasons)")
        }
    }

    @Test func declaredSizeOverLimit() throws {
        var tar = RawTar()
        tar.header("crafted-0001/data/documents/huge.pdf", size: 0, sizeField: "77777777777")
        tar.end()
        let limits = ArchiveLimits(maxArchiveBytes: 1 << 20, maxFileBytes: 1 << 20, maxEntries: 100, maxTagFileBytes: 1 << 16)
        #expect(try verify(tar.bytes, limits: limits).codes == ["size-limit"])
    }

    @Test func tooManyDocuments() throws {
        var tar = RawTar()
        for i in 0...1_000 {
            tar.file("crafted-0001/data/documents/\(i).pdf", [0x25])
        }
        tar.end()
        let report = try verify(tar.bytes)
        #expect(report.codes.contains("size-limit"), "\(report.codes)")
        #expect(report.reasons.contains { $0.detail == "documents: more than 1000 documents" })
    }

    @Test func garbageBytes() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [1, 511, 512, 4096, 100_000] {
            let garbage = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let report = try verify(garbage)
            #expect(!report.valid)
            #expect(report.codes.contains { ["not-a-tar", "truncated"].contains($0) }, "\(length): \(report.codes)")
        }
    }

    /// A high bit in any numeric field (base-256 marker) of any width, checksum included: a
    /// trap here once let one PUT crash the server.
    @Test func base256MarkersInEveryNumericField() throws {
        let whole = try crafted()
        for (offset, width) in [(100, 8), (108, 8), (116, 8), (124, 12), (136, 12), (148, 8), (329, 8), (337, 8)] {
            for marker: UInt8 in [0x80, 0xff] {
                var bytes = whole
                bytes[offset] = marker
                for i in 1..<width { bytes[offset + i] = 0xff }
                #expect(!(try verify(bytes)).valid, "field at \(offset), marker \(marker)")
            }
        }
    }

    /// Sizes near 2^64 (base-256, pax, on files and on directories) once overflowed the rounding
    /// to whole blocks and the running total.
    @Test func sizesNearTheTopOfUInt64() throws {
        let maxSize: [UInt8] = [0x80, 0, 0, 0] + [UInt8](repeating: 0xff, count: 8)
        let halfSize: [UInt8] = [0x80, 0, 0, 0, 0x80] + [UInt8](repeating: 0, count: 7)
        var file = RawTar()
        file.header("crafted-0001/data/documents/a.pdf", size: 0, rawSizeField: maxSize)
        file.end()
        var directories = RawTar()
        directories.header("crafted-0001/data/", size: 0, flag: "5", rawSizeField: halfSize)
        directories.header("crafted-0001/data/documents/", size: 0, flag: "5", rawSizeField: halfSize)
        directories.end()
        var pax = RawTar()
        let record = Array("29 size=18446744073709551615\n".utf8)
        pax.header("PaxHeaders/a", size: record.count, flag: "x")
        pax.content(record)
        pax.header("crafted-0001/data/documents/a.pdf", size: 0)
        pax.end()
        for tar in [file, directories, pax] {
            let report = try verify(tar.bytes)
            #expect(!report.valid)
            #expect(report.codes.contains("not-a-tar"), "\(report.codes)")
        }
    }

    /// A pax record after the first whose length is near `Int.max`: the bound check once added
    /// it to the offset and trapped, so one small PUT stopped the daemon (found in review).
    @Test func paxRecordLengthsNearTheTopOfInt() throws {
        for length in ["9223372036854775807", "9223372036854775800", "9223372036854775000", "9000000000000000000"] {
            var tar = RawTar()
            tar.file("PaxHeaders/a", Array("8 a=bcd\n\(length) b=c\n".utf8), flag: "x")
            tar.file("crafted-0001/bagit.txt", [1])
            tar.end()
            let report = try verify(tar.bytes)
            #expect(report.codes.contains("not-a-tar"), "\(length): \(report.codes)")
        }
    }

    @Test func aFileLargerThanAnyArchiveWithinTheLimitsIsNotRead() throws {
        let limits = ArchiveLimits(maxArchiveBytes: 4096, maxFileBytes: 4096, maxEntries: 4, maxTagFileBytes: 4096)
        let report = try verify(try crafted(), limits: limits)
        #expect(report.codes == ["size-limit"], "\(report.codes)")
        #expect(report.reasons.first?.detail.hasPrefix("the file is") == true)
        // Limits near the top of UInt64 (or nonsense) give no bound rather than a trap.
        for absurd in [
            ArchiveLimits(maxArchiveBytes: .max, maxFileBytes: .max, maxEntries: .max, maxTagFileBytes: 4096),
            ArchiveLimits(maxArchiveBytes: .max - 1, maxFileBytes: 1, maxEntries: -5, maxTagFileBytes: 4096),
        ] {
            #expect(!(try verify(try crafted(), limits: absurd)).codes.contains { $0 == "not-a-tar" })
        }
    }

    @Test func emptyFileIsNotAnArchive() throws {
        #expect(!(try verify([])).valid)
    }

    @Test func trailingDataAfterEnd() throws {
        let report = try verify(try crafted() + Array("smuggled".utf8))
        #expect(report.codes.contains("trailing-data"))
    }

    @Test func entryOutsideTheBag() throws {
        let report = try verify(try crafted().withExtraEntry { $0.file("other-folder/x", [1]) })
        #expect(report.codes.contains("outside-bag"))
    }

    @Test func wrongDestinationWhenExpected() throws {
        let path = temp.path("dest.dva")
        try Data(try crafted()).write(to: URL(fileURLWithPath: path))
        let report = try ArchiveVerifier(trust: pki.trust(), expectedDestination: "440100").verify(path: path)
        #expect(report.codes == ["wrong-destination"])
    }
}

extension Array where Element == UInt8 {
    /// Inserts entries just before the end-of-archive marker of a tar.
    func withExtraEntry(_ add: (inout RawTar) -> Void) -> [UInt8] {
        var extra = RawTar()
        add(&extra)
        return Array(dropLast(1024)) + extra.bytes + [UInt8](repeating: 0, count: 1024)
    }
}
