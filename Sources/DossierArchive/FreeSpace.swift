import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Free space on a file system, for the reserve that uploads and intake keep (DESIGN.md §9).
public enum FreeSpace {
    /// Bytes an unprivileged writer can still use on the file system holding `path`, saturating.
    /// - Throws: `ArchiveError.io` when the file system cannot be asked.
    public static func available(at path: String) throws -> UInt64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw ArchiveError.io(path: path, operation: "statvfs", errno: errno) }
        let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow ? .max : bytes
    }

    /// True when writing `bytes` more at `path` still leaves `reserve` bytes free.
    /// - Throws: `ArchiveError.io` when the file system cannot be asked.
    public static func hasRoom(for bytes: UInt64, at path: String, reserve: UInt64) throws -> Bool {
        let free = try available(at: path)
        return free >= reserve && free - reserve >= bytes
    }

    /// True for the errors of a file system that is full (or over a disk quota): worth retrying
    /// later, not a fault of the request.
    public static func isOutOfSpace(_ error: any Error) -> Bool {
        guard case let .io(_, _, code) = error as? ArchiveError else { return false }
        return code == ENOSPC || code == EDQUOT
    }
}
