#if canImport(Glibc)
    import Glibc
#endif

/// Free space on a file system, for the reserve that uploads and intake keep (docs/protocol.md).
public enum FreeSpace {
    /// Bytes an unprivileged writer can still use on the file system holding `path`, saturating.
    /// - Throws: `SystemError` when the file system cannot be asked.
    public static func available(at path: String) throws(SystemError) -> UInt64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { throw .last(.stat, path: path) }
        let (bytes, overflow) = UInt64(info.f_bavail).multipliedReportingOverflow(by: UInt64(info.f_frsize))
        return overflow ? .max : bytes
    }

    /// True when writing `bytes` more at `path` still leaves `reserve` bytes free.
    /// - Throws: `SystemError` when the file system cannot be asked.
    public static func hasRoom(for bytes: UInt64, at path: String, reserve: UInt64) throws(SystemError) -> Bool {
        let free = try available(at: path)
        return free >= reserve && free - reserve >= bytes
    }
}
