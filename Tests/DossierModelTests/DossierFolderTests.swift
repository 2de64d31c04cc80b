import DossierModel
import DossierSamples
import Foundation
import Testing

@Suite struct DossierFolderTests {
    @Test func generatedDossierPassesCheck() throws {
        try withSamples(sampleGenerator(count: 3)) { folders in
            #expect(folders.count == 3)
            for folder in folders {
                let result = try DossierFolder.check(folder, destination: "430100", policy: .default, today: testNow)
                #expect(result == CheckResult(valid: true, eligible: true, problems: []))
            }
        }
    }

    @Test(arguments: SampleGenerator.breakableRules)
    func eachIneligibleSampleFailsWithExactlyItsCode(_ rule: String) throws {
        try withSamples(sampleGenerator(ineligible: rule)) { folders in
            let folder = try #require(folders.first)
            let result = try DossierFolder.check(folder, destination: "430100", policy: .default, today: testNow)
            #expect(result.valid)
            #expect(result.eligible == false)
            #expect(Set(result.problems.map(\.code)) == [rule])
        }
    }

    @Test func fewerFilesThanKindsStillCoverEveryRequiredKind() throws {
        try withSamples(sampleGenerator(documents: 2, size: 5000)) { folders in
            let folder = try #require(folders.first)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("documents").path)
            #expect(files.count == 2)
            #expect(try DossierFolder.check(folder, destination: "430100", policy: .default, today: testNow).eligible == true)
        }
    }

    @Test func missingRecordIsAProblemAndMissingFolderAnError() throws {
        let temp = try TempFolder()
        defer { temp.remove() }
        let result = try DossierFolder.check(temp.url, destination: nil, policy: .default, today: testNow)
        #expect(result.valid == false)
        #expect(result.problems.map(\.code) == ["missing-record"])
        let absent = temp.url.appendingPathComponent("absent")
        #expect(throws: DossierFolderError.notADirectory(path: absent.path)) {
            try DossierFolder.check(absent, destination: nil, policy: .default, today: testNow)
        }
    }

    @Test func malformedRecordIsAProblem() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            try Data("{\"schema\": \"dossier/1\", ".utf8).write(to: folder.appendingPathComponent("dossier.json"))
            let result = try DossierFolder.check(folder, destination: "430100", policy: .default, today: testNow)
            #expect(result.valid == false && result.eligible == false)
            #expect(result.problems.map(\.code) == ["malformed-record"])
        }
    }

    @Test func documentPathEscapingDocumentsIsAProblem() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            var record = try DossierFolder.load(folder)
            record.documents[0].file = "documents/../dossier.json"
            try record.encoded().write(to: folder.appendingPathComponent("dossier.json"))
            let result = try DossierFolder.check(folder, destination: nil, policy: .default, today: testNow)
            #expect(result.problems.map(\.code) == ["document-path-escape", "unlisted-document"])
            #expect(result.problems.first?.field == "documents[0].file")
        }
    }

    @Test func zeroByteTruncatedMissingAndUnlistedDocuments() throws {
        try withSamples(sampleGenerator(size: 30_000)) { folders in
            let folder = try #require(folders.first)
            let record = try DossierFolder.load(folder)
            let documents = folder.appendingPathComponent("documents")
            try Data().write(to: folder.appendingPathComponent(record.documents[0].file))
            let second = folder.appendingPathComponent(record.documents[1].file)
            try Data(try Data(contentsOf: second).prefix(10_000)).write(to: second)
            try FileManager.default.removeItem(at: folder.appendingPathComponent(record.documents[2].file))
            try Data("#!/bin/sh\n".utf8).write(to: documents.appendingPathComponent("extra.sh"))
            let result = try DossierFolder.check(folder, destination: nil, policy: .default, today: testNow)
            #expect(result.problems.map(\.code) == ["empty-document", "damaged-document", "document-missing", "unlisted-document"])
            #expect(result.problems.map(\.field) == ["documents[0].file", "documents[1].file", "documents[2].file", "documents"])
            #expect(result.valid == false)
        }
    }

    @Test func unlistedEntriesInSubfoldersAndLinkedFoldersAreNamed() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            let documents = folder.appendingPathComponent("documents")
            let nested = documents.appendingPathComponent("sub/deeper")
            try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
            try Data("x".utf8).write(to: nested.appendingPathComponent("hidden.pdf"))
            try Data("y".utf8).write(to: documents.appendingPathComponent(".dotfile"))
            // A link to a folder is an entry of its own, never a way into the folder.
            try FileManager.default.createSymbolicLink(
                at: documents.appendingPathComponent("linked"), withDestinationURL: documents.appendingPathComponent("sub"))
            let result = try DossierFolder.check(folder, destination: nil, policy: .default, today: testNow)
            let unlisted = result.problems.filter { $0.code == "unlisted-document" }.map(\.message)
            #expect(
                unlisted == [
                    "documents/.dotfile is not listed in the record", "documents/linked is not listed in the record",
                    "documents/sub/deeper/hidden.pdf is not listed in the record",
                ], "\(unlisted)")
        }
    }

    @Test func symlinkedDocumentIsNotFollowed() throws {
        try withSamples(sampleGenerator()) { folders in
            let folder = try #require(folders.first)
            let record = try DossierFolder.load(folder)
            let target = folder.appendingPathComponent(record.documents[0].file)
            try FileManager.default.removeItem(at: target)
            try FileManager.default.createSymbolicLink(atPath: target.path, withDestinationPath: "/etc/hostname")
            let result = try DossierFolder.check(folder, destination: nil, policy: .default, today: testNow)
            #expect(result.problems.map(\.code).contains("document-missing"))
        }
    }
}
