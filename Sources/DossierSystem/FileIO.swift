import CLinuxSync

#if canImport(Glibc)
    import Glibc
#endif

/// Small POSIX helpers that retry interrupted calls and short transfers and report failures as
/// `SystemError`. Each is thread-safe as far as the descriptor passed in is not shared.
public enum FileIO {
    /// Opens `path` read-only.
    public static func openForReading(_ path: String) throws(SystemError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .last(.open, path: path) }
        return fd
    }

    /// Writes all of `bytes` at the descriptor's offset, retrying short writes and `EINTR`.
    public static func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, path: String) throws(SystemError) {
        guard var base = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let n = Glibc.write(fd, base, left)
            if n < 0 {
                if Glibc.errno == EINTR { continue }
                throw .last(.write, path: path)
            }
            left -= n
            base += n
        }
    }

    /// Writes all of `bytes` at `offset` (`pwrite`), retrying short writes and `EINTR`.
    public static func writeAll(fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(SystemError) {
        let failed: Int32? = bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                guard let base = raw.baseAddress else { return EINVAL }
                let n = pwrite(fd, base + done, raw.count - done, off_t(offset + done))
                if n < 0 && Glibc.errno == EINTR { continue }
                guard n > 0 else { return n == 0 ? EIO : Glibc.errno }
                done += n
            }
            return nil
        }
        if let failed { throw SystemError(.write, path: path, errno: failed) }
    }

    /// Reads up to `count` bytes into `buffer`, retrying `EINTR`; 0 means end of file.
    public static func readSome(fd: Int32, into buffer: UnsafeMutableRawPointer, count: Int, path: String) throws(SystemError) -> Int {
        while true {
            let n = read(fd, buffer, count)
            if n >= 0 { return n }
            if Glibc.errno != EINTR { throw .last(.read, path: path) }
        }
    }

    /// Whether the bytes of `fd` that end at `end` are `expected`, none of them before
    /// `notBefore` (a header); false when they cannot be read.
    public static func ends(fd: Int32, at end: Int, with expected: [UInt8], notBefore: Int) -> Bool {
        guard end - expected.count >= notBefore else { return false }
        var found = [UInt8](repeating: 0, count: expected.count)
        return pread(fd, &found, found.count, off_t(end - expected.count)) == found.count && found == expected
    }

    /// Reads a whole file of at most `limit` bytes.
    /// - Throws: `SystemError` (`EFBIG` under `.read` when the file is larger than `limit`).
    public static func readAll(_ path: String, limit: Int = .max) throws(SystemError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .last(.stat, path: path) }
        guard st.st_size <= limit else { throw SystemError(.read, path: path, errno: EFBIG) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < bytes.count {
            // `withUnsafeMutableBytes` only rethrows untyped errors: the typed one travels in a Result.
            let n = try bytes.withUnsafeMutableBytes { raw in
                Result { () throws(SystemError) -> Int in
                    guard let base = raw.baseAddress else { return 0 }
                    return try readSome(fd: fd, into: base + filled, count: raw.count - filled, path: path)
                }
            }.get()
            if n == 0 { break }
            filled += n
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// Makes a directory's entries (creations, renames, removals) durable.
    public static func syncDirectory(_ path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .last(.open, path: path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .last(.syncDirectory, path: path) }
    }

    /// Makes everything written on the file system holding `path` durable (`syncfs`): file
    /// data, new names and renames alike, in one call. A group commit uses it to make many
    /// small files durable with one journal commit instead of one `fsync` each; it also
    /// flushes what others wrote there, which those writers would have synced themselves.
    /// Reports write-back errors since the descriptor was opened (Linux 5.8 and later).
    public static func syncFileSystem(_ path: String) throws(SystemError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .last(.open, path: path) }
        defer { close(fd) }
        guard syncfs(fd) == 0 else { throw .last(.syncFileSystem, path: path) }
    }

    /// Creates `path` (which must not exist) with `bytes`, *without* syncing it: for a file a
    /// group commit makes durable later (`syncFileSystem`) before publishing it by a rename.
    /// On failure the partial file is removed.
    public static func createUnsynced(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o640) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .last(.create, path: path) }
        defer { close(fd) }
        do throws(SystemError) {
            try bytes.withUnsafeBytes { raw in Result { () throws(SystemError) in try writeAll(fd: fd, raw, path: path) } }.get()
        } catch {
            unlink(path)
            throw error
        }
    }

    /// Creates `path` and any missing parents with `mode`; the new entries are made durable.
    /// An existing directory is fine.
    public static func makeDirectory(_ path: String, mode: mode_t = 0o750) throws(SystemError) {
        var missing: [String] = []
        var current = path
        while !current.isEmpty, current != "/", !isDirectory(current) {
            missing.append(current)
            current = parent(of: current)
        }
        for directory in missing.reversed() {
            if mkdir(directory, mode) != 0 && Glibc.errno != EEXIST { throw .last(.createDirectory, path: directory) }
            try syncDirectory(parent(of: directory))
        }
    }

    /// Creates the folder `path` (its parent must exist) without syncing the parent: for scratch
    /// space whose loss in a crash does not matter.
    public static func makeScratchDirectory(_ path: String, mode: mode_t = 0o750) throws(SystemError) {
        if mkdir(path, mode) != 0 { throw .last(.createDirectory, path: path) }
    }

    /// Renames `from` to `to` (atomically replacing `to`); the caller syncs the directory.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        if Glibc.rename(from, to) != 0 { throw .last(.rename, path: from) }
    }

    /// Removes a file; a file that is already gone is fine.
    public static func remove(_ path: String) throws(SystemError) {
        if unlink(path) != 0 && Glibc.errno != ENOENT { throw .last(.remove, path: path) }
    }

    /// Takes an exclusive `flock` on `fd` (the file at `path`); false while another holder
    /// keeps it. A lock just given up can still look held for a moment: a child forked by
    /// another thread of this process shares the descriptor until its exec closes it. So a
    /// held lock is tried again for up to a second; a real holder still has it then.
    /// - Throws: `SystemError` for any failure other than the lock being held.
    public static func lockExclusively(fd: Int32, path: String) throws(SystemError) -> Bool {
        for attempt in 0..<20 {
            if flock(fd, LOCK_EX | LOCK_NB) == 0 { return true }
            guard Glibc.errno == EWOULDBLOCK else { throw .last(.lock, path: path) }
            if attempt < 19 { usleep(50_000) }
        }
        return false
    }

    /// Removes `path` and, for a directory, everything below it (links are removed, not
    /// followed); a path that is already gone is fine.
    public static func removeTree(_ path: String) throws(SystemError) {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            if Glibc.errno == ENOENT { return }
            throw .last(.stat, path: path)
        }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return try remove(path) }
        for name in try list(path) { try removeTree(path + "/" + name) }
        if rmdir(path) != 0 && Glibc.errno != ENOENT { throw .last(.remove, path: path) }
    }

    /// Truncates `path` to `length` bytes and syncs it.
    public static func truncate(_ path: String, to length: Int) throws(SystemError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .last(.open, path: path) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw .last(.truncate, path: path) }
        guard fsync(fd) == 0 else { throw .last(.fsync, path: path) }
    }

    /// Whether anything exists at `path`.
    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Whether `path` is a directory.
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// The size of the file at `path`, or nil when there is none.
    public static func size(_ path: String) -> UInt64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return UInt64(st.st_size)
    }

    /// The bytes of the regular files at or below `path`, all levels, symbolic links not
    /// followed (0 for what cannot be read): what packing a dossier folder will write, near enough.
    public static func treeSize(_ path: String) -> UInt64 {
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return UInt64(st.st_size)
        case S_IFDIR: return ((try? list(path)) ?? []).reduce(0) { $0 + treeSize("\(path)/\($1)") }
        default: return 0
        }
    }

    /// `path` with symbolic links, `.`, `..` and repeated slashes resolved (`realpath(3)`), or
    /// `path` itself when it does not resolve: one spelling per existing file, so two processes
    /// naming the same folder differently agree on it.
    public static func canonicalPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Names in `directory` (not `.` and `..`), unsorted.
    public static func list(_ directory: String) throws(SystemError) -> [String] {
        guard let dir = opendir(directory) else { throw .last(.list, path: directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// The folder holding `path` (`"."` for a bare name).
    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
