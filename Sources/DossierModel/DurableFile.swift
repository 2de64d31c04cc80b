import Foundation

/// Writes one file durably: into a temporary file beside the target, then fsync, rename over the
/// target and fsync the folder, so a crash leaves either the old file or the whole new one.
/// Not thread-safe: one writer per file, used by one task.
final class DurableFile {
    private let target: URL
    private let temporary: URL
    private var descriptor: Int32
    private var committed = false

    /// Creates the temporary file. Throws `SampleError.write` if it cannot be created.
    init(_ target: URL) throws(SampleError) {
        self.target = target
        temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).tmp")
        descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .write(path: target.path, errno: errno) }
    }

    deinit {
        if !committed {
            close(descriptor)
            unlink(temporary.path)
        }
    }

    func write(_ bytes: [UInt8]) throws(SampleError) {
        // `withUnsafeBytes` only rethrows untyped errors, so the typed error travels in a Result.
        try bytes.withUnsafeBytes { buffer in
            Result { () throws(SampleError) in try write(buffer) }
        }.get()
    }

    func write(_ buffer: UnsafeRawBufferPointer) throws(SampleError) {
        var offset = 0
        while offset < buffer.count, let base = buffer.baseAddress {
            let written = Foundation.write(descriptor, base + offset, buffer.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw .write(path: target.path, errno: errno)
            }
            offset += written
        }
    }

    /// Makes the file durable under its final name.
    func commit() throws(SampleError) {
        guard fsync(descriptor) == 0 else { throw .write(path: target.path, errno: errno) }
        close(descriptor)
        committed = true
        guard rename(temporary.path, target.path) == 0 else {
            let code = errno
            unlink(temporary.path)
            throw .write(path: target.path, errno: code)
        }
        try DurableFile.syncDirectory(target.deletingLastPathComponent())
    }

    /// Creates `directory` (and its parents) if needed and makes its entry durable.
    static func makeDirectory(_ directory: URL) throws(SampleError) {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .makeDirectory(path: directory.path, reason: error.localizedDescription)
        }
        try syncDirectory(directory.deletingLastPathComponent())
    }

    static func syncDirectory(_ directory: URL) throws(SampleError) {
        let fd = open(directory.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw .write(path: directory.path, errno: errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw .write(path: directory.path, errno: errno) }
    }
}

/// Why sample dossiers could not be made.
public enum SampleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Writing a file or folder failed with this errno.
    case write(path: String, errno: Int32)
    /// A folder could not be created.
    case makeDirectory(path: String, reason: String)
    /// `--ineligible` named no rule the generator can break.
    case unknownRule(String)
    /// An office code the generator has no name or plate letter for.
    case unknownOffice(String)

    public var description: String {
        switch self {
        case .write(let path, let code): return "cannot write \(path): \(String(cString: strerror(code)))"
        case .makeDirectory(let path, let reason): return "cannot create folder \(path): \(reason)"
        case .unknownRule(let rule): return "cannot make a dossier breaking \"\(rule)\"; choose one of: "
            + SampleGenerator.breakableRules.joined(separator: ", ")
        case .unknownOffice(let code): return "no sample data for office \(code); choose one of: "
            + SampleOffices.all.map(\.code).sorted().joined(separator: ", ")
        }
    }
}
