import DossierModel
import Foundation
import Testing

@Suite struct DocumentFormatTests {
    @Test func generatedDocumentsAreRecognisedAndSound() throws {
        try withSamples(sampleGenerator(documents: 7, size: 150_000)) { folders in
            let folder = try #require(folders.first)
            let record = try DossierFolder.load(folder)
            for entry in record.documents {
                let url = folder.appendingPathComponent(entry.file)
                let size = try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int
                #expect(size == 150_000, "\(entry.file)")
                let sample = try DocumentSample.read(from: url, path: entry.file)
                #expect(DocumentFormat.identify(sample) == entry.mediaType)
                #expect(DocumentFormat.inspect(sample, declared: entry.mediaType) == [], "\(entry.file)")
            }
        }
    }

    @Test func tinyDocumentSizeStillGivesSoundFiles() throws {
        try withSamples(sampleGenerator(size: 1)) { folders in
            let folder = try #require(folders.first)
            #expect(try DossierFolder.check(folder, destination: "430100", policy: .default, today: testNow).problems == [])
        }
    }

    @Test func truncationIsDetectedForEachFormat() throws {
        try withSamples(sampleGenerator(size: 20_000)) { folders in
            let folder = try #require(folders.first)
            for entry in try DossierFolder.load(folder).documents {
                let bytes = try Array(Data(contentsOf: folder.appendingPathComponent(entry.file)))
                let cut = sample(entry.file, Array(bytes.prefix(bytes.count - 100)))
                #expect(DocumentFormat.inspect(cut, declared: entry.mediaType).map(\.code) == ["damaged-document"], "\(entry.file)")
            }
        }
    }

    @Test func emptyAndUnknownFiles() {
        #expect(DocumentFormat.inspect(sample("documents/a.pdf", []), declared: .pdf).map(\.code) == ["empty-document"])
        #expect(
            DocumentFormat.inspect(sample("documents/a.pdf", Array("hello world".utf8)), declared: .pdf).map(\.code)
                == ["unknown-format"])
    }

    @Test func declaredTypeMustMatchBytes() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            let file = "documents/06-vin-rubbing.png"
            let png = try DocumentSample.read(from: folder.appendingPathComponent(file), path: file)
            let findings = DocumentFormat.inspect(png, declared: .jpeg)
            #expect(findings == [Finding(.authenticity, "format-mismatch", "\(file) is declared image/jpeg but is image/png")])
        }
    }

    @Test func pngWithBadHeaderChecksumIsDamaged() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            var bytes = try Array(Data(contentsOf: folder.appendingPathComponent("documents/06-vin-rubbing.png")))
            bytes[20] ^= 0x01
            #expect(DocumentFormat.inspect(sample("documents/x.png", bytes), declared: .png).map(\.code) == ["damaged-document"])
        }
    }

    @Test(
        arguments: [
            ([0x7F, 0x45, 0x4C, 0x46, 2, 1, 1], "executable"), (Array("MZ\u{90}\u{0}".utf8), "executable"),
            ([0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1], "executable"), (Array("#!/bin/sh\nrm -rf /\n".utf8), "executable"),
            ([0x1F, 0x8B, 8, 0, 0, 0], "nested-archive"), ([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C, 0, 4], "nested-archive"),
            (Array("Rar!\u{1A}\u{07}\u{0}".utf8), "nested-archive"),
            (zip(["payload.exe"]), "nested-archive"),
            (Array("%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<</Root 1 0 R/Encrypt 2 0 R>>\nstartxref\n9\n%%EOF\n".utf8), "encrypted-pdf"),
        ] as [([UInt8], String)])
    func unsafeContentIsASecurityFinding(_ bytes: [UInt8], _ code: String) {
        let findings = DocumentFormat.inspect(sample("documents/scan.pdf", bytes), declared: .pdf)
        #expect(findings.map(\.code) == [code])
        #expect(findings.allSatisfy { $0.property == .security })
    }

    @Test func tarIsANestedArchive() {
        var bytes = [UInt8](repeating: 0, count: 1024)
        bytes.replaceSubrange(257..<263, with: Array("ustar\u{0}".utf8))
        #expect(DocumentFormat.inspect(sample("documents/a.pdf", bytes), declared: .pdf).map(\.code) == ["nested-archive"])
    }

    @Test func ofdIsAZipListingOFDxml() {
        let ofd = sample("documents/a.ofd", zip(["OFD.xml", "Doc_0/Document.xml"]))
        #expect(DocumentFormat.identify(ofd) == .ofd)
        #expect(DocumentFormat.inspect(ofd, declared: .ofd) == [])
    }

    @Test func tiffNeedsItsFirstDirectoryInRange() {
        let good: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0, 0]
        #expect(DocumentFormat.inspect(sample("documents/a.tif", good), declared: .tiff) == [])
        let bigEndian: [UInt8] = [0x4D, 0x4D, 0x00, 0x2A, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00]
        #expect(DocumentFormat.inspect(sample("documents/a.tif", bigEndian), declared: .tiff) == [])
        let outside: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00]
        #expect(DocumentFormat.inspect(sample("documents/a.tif", outside), declared: .tiff).map(\.code) == ["damaged-document"])
    }

    @Test func arbitraryBytesNeverTrap() {
        var random = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 4, 7, 8, 21, 22, 33, 100, 300, 5000] {
            for prefix in [
                [], [0xFF, 0xD8, 0xFF], DocumentFormatTests.pngSignature, Array("%PDF-".utf8),
                [0x50, 0x4B, 0x03, 0x04], [0x49, 0x49, 0x2A, 0x00], [0x50, 0x4B, 0x05, 0x06],
            ] as [[UInt8]] {
                let bytes = prefix + (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
                _ = DocumentFormat.inspect(sample("documents/x", bytes), declared: .pdf)
                _ = DocumentFormat.inspect(
                    DocumentSample(
                        path: "documents/x", size: UInt64(bytes.count) * 3,
                        head: bytes, tail: bytes), declared: .ofd)
            }
        }
    }

    @Test func inconsistentSampleSizesDoNotTrap() {
        let claimsTooSmall = DocumentSample(path: "documents/a.ofd", size: 3, head: zip(["OFD.xml"]), tail: zip(["OFD.xml"]))
        #expect(DocumentFormat.identify(claimsTooSmall) == nil)
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
}

/// A stored zip holding empty entries with these names.
func zip(_ names: [String]) -> [UInt8] {
    func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF)] }
    func le32(_ value: Int) -> [UInt8] { le16(value & 0xFFFF) + le16(value >> 16) }
    var body: [UInt8] = []
    var directory: [UInt8] = []
    for name in names {
        let offset = body.count
        let nameBytes = Array(name.utf8)
        body +=
            [0x50, 0x4B, 0x03, 0x04] + le16(20) + le16(0) + le16(0) + le32(0) + le32(0) + le32(0) + le32(0)
            + le16(nameBytes.count) + le16(0) + nameBytes
        directory +=
            [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(20) + le16(0) + le16(0) + le32(0) + le32(0) + le32(0)
            + le32(0) + le16(nameBytes.count) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
    }
    let end =
        [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(names.count) + le16(names.count)
        + le32(directory.count) + le32(body.count) + le16(0)
    return body + directory + end
}
