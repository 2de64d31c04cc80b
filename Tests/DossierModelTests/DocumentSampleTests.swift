import DossierModel
import Foundation
import Testing

/// `DocumentSample.read` keeps exactly the head and tail of a regular file, and refuses what is
/// not one without blocking or following it.
@Suite struct DocumentSampleTests {
    let dir: URL

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-sample-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    @Test(arguments: [0, 10, 4096, 70_000, 200_003])
    func headAndTailAreTheFilesOwnBytes(size: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let sample = try DocumentSample.read(from: try file("doc-\(size)", bytes), path: "documents/doc")
        #expect(sample.size == UInt64(size) && sample.path == "documents/doc")
        #expect(sample.head == Array(bytes.prefix(DocumentSample.headLength)))
        #expect(sample.tail == Array(bytes.suffix(DocumentSample.tailLength)))
    }

    @Test func whatIsNotARegularFileIsRefusedNamingThePath() throws {
        let target = try file("target.pdf", Array("%PDF-1.7".utf8))
        let link = dir.appendingPathComponent("link.pdf")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: target)
        let fifo = dir.appendingPathComponent("fifo.pdf")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        for (url, name) in [(link, "link"), (fifo, "fifo"), (dir.appendingPathComponent("missing.pdf"), "missing"), (dir, "folder")] {
            #expect(throws: DocumentReadError.self, "\(name)") { try DocumentSample.read(from: url, path: "documents/\(name)") }
            do {
                _ = try DocumentSample.read(from: url, path: "documents/\(name)")
            } catch {
                guard case let .unreadable(path, reason) = error else { continue }
                #expect(path == "documents/\(name)" && !reason.isEmpty)
            }
        }
    }
}
