import Foundation

/// Runs `body` with a fresh directory under the system temp folder, removed afterwards.
func withTemporaryDirectory<T>(
    _ body: (URL) async throws -> T
) async throws -> T {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("dossier-outbox-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(url)
}

/// Writes a small archive file to stand in for a packed archive; returns its URL.
func makeArchive(in directory: URL, name: String, bytes: Int = 64) throws -> URL {
    let url = directory.appendingPathComponent(name + ".incoming")
    try Data(repeating: 0x41, count: bytes).write(to: url)
    return url
}

/// The journal files of `journal` (not its lock file), sorted.
func journalFiles(_ journal: URL) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: journal.path).filter { $0 != "lock" }.sorted()
}

/// Bytes of the journal files in `journal` up to each file's last non-zero byte: segments
/// carry preallocated zeros that hold no records.
func journalContentSize(_ journal: URL) throws -> Int {
    try journalFiles(journal).reduce(0) { sum, name in
        let bytes = try Data(contentsOf: journal.appendingPathComponent(name))
        return sum + ((bytes.lastIndex { $0 != 0 }).map { $0 + 1 } ?? 0)
    }
}
