import DossierArchive
import DossierTransport
import Foundation

/// SHA-256 of a file on disk, streamed in 1 MiB reads.
enum FileDigest {
    /// A downloaded file as the inbox takes it: path, size and digest.
    /// - Throws: `ArchiveError.io`.
    static func received(path: String) throws -> ReceivedFile {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ArchiveError.io(path: path, operation: "open", errno: errno)
        }
        defer { try? handle.close() }
        let hash = SHA256()
        var size: UInt64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            chunk.withUnsafeBytes { hash.update($0) }
            size += UInt64(chunk.count)
        }
        return ReceivedFile(path: path, size: size, digest: hash.finish().hexString)
    }
}
