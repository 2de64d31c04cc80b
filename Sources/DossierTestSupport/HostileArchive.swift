import Foundation

/// The two attacks on verification memory (issue 13), written as archive files of
/// about a given size, streamed block by block so that even 512 MiB ones cost no memory to make.
public enum HostileArchive {
    /// 64 KiB pax headers, each with a key of its own, chained in front of a single entry: a
    /// reader that merges them keeps them all.
    public static func paxChain(id: String, size: UInt64, to path: String) throws {
        try write(to: path, size: size) { tar, i in
            tar.pax([(key: "k\(i)", value: String(repeating: "v", count: 65_000))])
        } last: { tar in
            tar.file("\(id)/bagit.txt", Array("BagIt-Version: 1.0\n".utf8))
        }
    }

    /// Files outside `data/`, each just under the 4 MiB a tag file may have: a reader that
    /// holds every tag file holds them all.
    public static func tagFlood(id: String, size: UInt64, to path: String) throws {
        let content = [UInt8](repeating: UInt8(ascii: "t"), count: (4 << 20) - 512)
        try write(to: path, size: size) { tar, i in
            tar.file("\(id)/tag-\(i).txt", content)
        } last: { _ in
        }
    }

    private static func write(
        to path: String, size: UInt64, piece: (inout RawTar, Int) -> Void,
        last: (inout RawTar) -> Void
    ) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw HarnessError.failed("cannot create \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var written: UInt64 = 0
        var i = 0
        while written < size {
            var tar = RawTar()
            piece(&tar, i)
            try handle.write(contentsOf: tar.bytes)
            written += UInt64(tar.bytes.count)
            i += 1
        }
        var tail = RawTar()
        last(&tail)
        tail.end()
        try handle.write(contentsOf: tail.bytes)
    }
}
