import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file written under a temporary name and published atomically by `commit()`: data fsynced,
/// renamed to its final name, the directory fsynced. Until then no reader sees a partial file
/// under the final name; a writer dropped uncommitted removes its temporary file. This is the
/// one durable-write primitive of the project: spool files, receipts, inbox records, journal
/// snapshots and sample dossiers all go through it.
///
/// Not thread-safe: one writer belongs to one thread at a time.
public final class DurableFile {
    /// Where the file will be once committed.
    public let finalURL: URL
    private let tempPath: String
    private var fd: Int32
    private var committed = false
    private var direct: Bool

    /// Creates the temporary file beside `finalURL` (same directory, so the rename is atomic).
    ///
    /// `direct` asks for `O_DIRECT`: large writes go from the caller's buffer to the device
    /// without filling the page cache, which costs a fraction of the CPU of a buffered write
    /// and leaves `commit` little to flush. It is a hint: where the file system refuses it, or
    /// a write is not aligned (buffer to 4096 bytes, length to 512), the file goes on buffered —
    /// the bytes written are the same either way.
    /// - Throws: `SystemError` when the directory is not writable.
    public init(finalURL: URL, mode: mode_t = 0o640, direct: Bool = false) throws(SystemError) {
        self.finalURL = finalURL
        let temp = Self.temporaryPath(for: finalURL)
        let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw .last(.create, path: temp) }
        self.fd = fd
        self.tempPath = temp
        // Set after creating: a file system without direct I/O refuses the flag here (EINVAL),
        // where `open` would have created the file and then failed.
        self.direct =
            direct && openDirect != 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | openDirect) == 0
            && fcntl(fd, F_GETFL) & openDirect != 0
    }

    deinit {
        if fd >= 0 { close(fd) }
        if !committed { unlink(tempPath) }
    }

    /// Writes `bytes` to `url` durably in one call (temp file, fsync, rename, fsync directory).
    /// - Throws: `SystemError`; the final name is then untouched.
    public static func write(_ bytes: [UInt8], to url: URL, mode: mode_t = 0o640) throws(SystemError) {
        try write(bytes, toEachOf: [url], mode: mode)
    }

    /// Writes `bytes` durably under each of `urls` as one file (one inode, one data `fsync`),
    /// linked under every name, each folder synced once. Each name is whole or absent after a
    /// crash; until this returns, a crash may keep some of the names and not others. Later
    /// writes must replace a name (as every write here does), never change the file in place,
    /// which the other names would see.
    /// - Throws: `SystemError`; when a name could not be linked, the final name is untouched
    ///   (names linked before it stay).
    public static func write(_ bytes: [UInt8], toEachOf urls: [URL], mode: mode_t = 0o640) throws(SystemError) {
        guard let first = urls.first else { return }
        let file = try DurableFile(finalURL: first, mode: mode)
        try file.write(bytes)
        try file.commit(alsoAs: Array(urls.dropFirst()))
    }

    /// Writes all of `bytes`, retrying short writes and interrupted calls.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SystemError) {
        try write([bytes])
    }

    /// Writes all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(SystemError) {
        // `withUnsafeBytes` only rethrows untyped errors, so the typed error travels in a Result.
        try bytes.withUnsafeBytes { raw in Result { () throws(SystemError) in try write(raw) } }.get()
    }

    /// Writes all of `chunks`, in order, in one system call when it can (`writev`).
    public func write(_ chunks: [UnsafeRawBufferPointer]) throws(SystemError) {
        let iovMax = 1024
        guard chunks.count <= iovMax else {
            for start in stride(from: 0, to: chunks.count, by: iovMax) {
                try write(Array(chunks[start..<min(start + iovMax, chunks.count)]))
            }
            return
        }
        if direct, !chunks.allSatisfy(Self.directAligned) { stopDirect() }
        let vector = chunks.map { iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count) }
        var written = 0
        while true {
            written = writev(fd, vector, Int32(vector.count))
            if written >= 0 { break }
            if errno == EINTR { continue }
            // A direct write refused with EINVAL (a device block larger than our alignment)
            // wrote nothing: it is retried buffered.
            if errno == EINVAL, direct {
                stopDirect()
                continue
            }
            throw .last(.write, path: tempPath)
        }
        // What a short write left, chunk by chunk and buffered (the rest need not be aligned).
        if written < chunks.reduce(0, { $0 + $1.count }), direct { stopDirect() }
        for chunk in chunks {
            if written >= chunk.count {
                written -= chunk.count
                continue
            }
            try FileIO.writeAll(fd: fd, UnsafeRawBufferPointer(rebasing: chunk[written...]), path: tempPath)
            written = 0
        }
    }

    private static func directAligned(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        return UInt(bitPattern: base) % 4096 == 0 && bytes.count % 512 == 0
    }

    /// Goes on buffered: once one write is unaligned, the file offset is too.
    private func stopDirect() {
        direct = false
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~openDirect)
    }

    /// Makes the file durable under its final name. After this returns, a crash keeps the whole
    /// file; before it, the final name is untouched.
    ///
    /// With `syncingDirectory` false only the data is durable and the caller owns the name: it
    /// syncs the folder itself (several files at once), or the file is a staging copy that is
    /// renamed again into a folder whose owner syncs it (a packed archive moving to the spool).
    public func commit(syncingDirectory: Bool = true) throws(SystemError) {
        try commit(alsoAs: [], syncingDirectory: syncingDirectory)
    }

    /// `commit`, the file also appearing under each of `others` (hard links: the same file
    /// system, in practice the same folder), each name replaced atomically.
    private func commit(alsoAs others: [URL], syncingDirectory: Bool = true) throws(SystemError) {
        guard fsync(fd) == 0 else { throw .last(.fsync, path: tempPath) }
        close(fd)
        fd = -1
        for other in others {
            // Linked under a temporary name first: `link` does not replace an existing name.
            let extra = Self.temporaryPath(for: other)
            guard link(tempPath, extra) == 0 else { throw .last(.link, path: extra) }
            do throws(SystemError) { try FileIO.rename(extra, to: other.path) } catch {
                unlink(extra)
                throw error
            }
        }
        try FileIO.rename(tempPath, to: finalURL.path)
        committed = true
        guard syncingDirectory else { return }
        var folders: [String] = []
        for url in [finalURL] + others {
            let folder = url.deletingLastPathComponent().path
            if !folders.contains(folder) { folders.append(folder) }
        }
        for folder in folders { try FileIO.syncDirectory(folder) }
    }

    /// `.<name>.<random>.tmp` beside `url`: hidden, and never a name a writer commits to.
    private static func temporaryPath(for url: URL) -> String {
        "\(url.deletingLastPathComponent().path)/.\(url.lastPathComponent).\(UInt64.random(in: 0...UInt64.max)).tmp"
    }
}

/// `O_DIRECT`, which Glibc's module hides behind `_GNU_SOURCE`; its value depends on the
/// architecture (asm-generic/fcntl.h and the arch overrides).
#if arch(x86_64)
    private let openDirect: Int32 = 0o40000
#elseif arch(arm64)
    private let openDirect: Int32 = 0o200000
#else
    private let openDirect: Int32 = 0
#endif
