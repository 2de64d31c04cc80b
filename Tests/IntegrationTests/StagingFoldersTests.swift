@testable import DossierDaemon
import DossierSystem
import DossierTestSupport
import Foundation
import Testing

/// Packing folders are reused, always empty when taken, and one that cannot be emptied is
/// not handed out again.
struct StagingFoldersTests {
    @Test func aFolderGivenBackIsEmptiedAndTakenAgain() throws {
        let dir = try TempDir()
        let folders = StagingFolders(root: dir.url)
        let first = try folders.take()
        let second = try folders.take()
        #expect(first != second)
        try FileIO.createUnsynced(first.appendingPathComponent("left.dva").path, [1, 2, 3])
        try FileIO.makeScratchDirectory(first.appendingPathComponent("nested").path)
        try FileIO.createUnsynced(first.appendingPathComponent("nested/file").path, [4])
        folders.giveBack(first)
        let again = try folders.take()
        #expect(again == first)
        #expect(try FileIO.list(again.path).isEmpty)
        #expect(dir.contents("").count == 2, "no third folder was made")
    }

    @Test func aFolderThatCannotBeEmptiedIsNotHandedOutAgain() throws {
        let dir = try TempDir()
        let folders = StagingFolders(root: dir.url)
        let gone = try folders.take()
        try FileIO.removeTree(gone.path)
        folders.giveBack(gone)
        let next = try folders.take()
        #expect(next != gone)
        #expect(FileIO.isDirectory(next.path) && !FileIO.exists(gone.path))
    }
}
