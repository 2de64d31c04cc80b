import DossierSystem
import Foundation
import Synchronization

/// The packing folders under `tmp/`, one per submission being packed, reused from one
/// submission to the next rather than made and removed each time: on ext4 a new directory's
/// inode is found by scanning the inode bitmaps past recently deleted inodes, which cost the
/// origin an eighth of its CPU at a hundred dossiers a second (perf, `dossier-bench e2e`).
///
/// A folder taken is the caller's alone until it gives it back; one given back is emptied
/// first. Nothing in them outlives a crash: start-up clears `tmp/` (`StateLayout`).
/// Thread-safe.
final class StagingFolders: Sendable {
    private let root: URL
    private let spare = Mutex<[URL]>([])

    init(root: URL) { self.root = root }

    /// An empty folder of the caller's own: a spare one, or a new one.
    /// - Throws: `SystemError` when a new folder cannot be made.
    func take() throws(SystemError) -> URL {
        if let folder = spare.withLock({ $0.popLast() }) { return folder }
        let folder = root.appendingPathComponent("packing-\(UUID().uuidString)", isDirectory: true)
        try FileIO.makeScratchDirectory(folder.path)
        return folder
    }

    /// Takes `folder` back once emptied; one that cannot be emptied is removed instead (and
    /// left for start-up if even that fails).
    func giveBack(_ folder: URL) {
        do {
            for name in try FileIO.list(folder.path) { try FileIO.removeTree(folder.appendingPathComponent(name).path) }
            spare.withLock { $0.append(folder) }
        } catch {
            try? FileIO.removeTree(folder.path)
        }
    }
}
