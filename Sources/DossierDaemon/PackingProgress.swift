import DossierSystem
import Foundation
import Synchronization

/// How far each dossier being packed has got, for `dossierctl submit`'s progress line: the
/// bytes written so far into the submission's own staging folder against the dossier's size.
/// Read from the files themselves, so the packer needs no hook. Folders are known by their
/// canonical path, however the submitter and the asker spell them. Thread-safe.
final class PackingProgress: Sendable {
    private struct Packing {
        var folder: String
        var total: UInt64
    }

    private let packing = Mutex<[String: Packing]>([:])

    /// Marks `dossier` (a folder path) as being packed into `folder`, which will hold about
    /// `total` bytes when done; returns the key to `end` it with (even if the folder moves).
    func begin(dossier: String, folder: String, total: UInt64) -> String {
        let key = FileIO.canonicalPath(dossier)
        packing.withLock { $0[key] = Packing(folder: folder, total: total) }
        return key
    }

    /// The dossier `begin` returned `key` for is packed (or failed).
    func end(_ key: String) { _ = packing.withLock { $0.removeValue(forKey: key) } }

    /// Bytes written so far and the expected total, while `dossier` is being packed.
    func progress(dossier: String) -> (packed: UInt64, total: UInt64)? {
        let key = FileIO.canonicalPath(dossier)
        guard let current = packing.withLock({ $0[key] }) else { return nil }
        let packed = FileIO.treeSize(current.folder)
        return (packed, max(current.total, packed))
    }
}
