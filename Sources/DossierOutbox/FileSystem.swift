import Foundation

/// Thin POSIX wrappers that turn failures into `OutboxError.file`, plus the durable-write
/// recipe of the house style (temp file, fsync, rename, fsync the directory).
enum FileSystem {
    static func fail(_ op: FileOperation, _ path: String) -> OutboxError {
        .file(op, path: path, errno: errno)
    }

    static func makeDirectory(_ path: String) throws(OutboxError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST { throw fail(.createDirectory, path) }
    }

    static func syncDirectory(_ path: String) throws(OutboxError) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw fail(.open, path) }
        defer { close(fd) }
        if fsync(fd) != 0 { throw fail(.fsync, path) }
    }

    static func rename(_ from: String, _ to: String) throws(OutboxError) {
        if Foundation.rename(from, to) != 0 { throw fail(.rename, from) }
    }

    static func remove(_ path: String) throws(OutboxError) {
        if unlink(path) != 0 && errno != ENOENT { throw fail(.remove, path) }
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// Names in `directory` (not `.` and `..`), unsorted.
    static func list(_ directory: String) throws(OutboxError) -> [String] {
        guard let dir = opendir(directory) else { throw fail(.list, directory) }
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

    static func readAll(_ path: String) throws(OutboxError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail(.open, path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail(.read, path) }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var filled = 0
        while filled < bytes.count {
            let n = bytes.withUnsafeMutableBytes { raw in
                raw.baseAddress.map { read(fd, $0 + filled, raw.count - filled) } ?? 0
            }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw fail(.read, path) }
            if n == 0 { break }
            filled += n
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// Writes all of `bytes` at `offset` (`pwrite`), retrying short writes.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(OutboxError) {
        let failedErrno: Int32? = bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                guard let base = raw.baseAddress else { return EINVAL }
                let n = pwrite(fd, base + done, raw.count - done, off_t(offset + done))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { return errno }
                done += n
            }
            return nil
        }
        if let failedErrno { throw .file(.write, path: path, errno: failedErrno) }
    }

    static func truncate(_ path: String, to length: Int) throws(OutboxError) {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw fail(.open, path) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(length)) == 0 else { throw fail(.truncate, path) }
        guard fsync(fd) == 0 else { throw fail(.fsync, path) }
    }

    /// Writes `bytes` to `path` so that after a crash either the old file or the whole new
    /// one is there: temp file, fsync, rename, fsync the directory.
    static func writeDurably(_ bytes: [UInt8], to path: String) throws(OutboxError) {
        let temp = path + ".tmp"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail(.open, temp) }
        do throws(OutboxError) {
            try writeAll(fd, bytes, at: 0, path: temp)
            guard fsync(fd) == 0 else { throw fail(.fsync, temp) }
        } catch {
            close(fd)
            try? remove(temp)
            throw error
        }
        close(fd)
        try rename(temp, path)
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }
}
