import DossierSystem

/// Why a custody operation failed.
public enum CustodyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A file operation failed (opening, reading, truncating at open).
    case system(SystemError)
    /// Another process has the log open for writing.
    case locked(path: String)
    /// The log or its checkpoints are damaged outside a torn tail; the log was not opened and
    /// no file was changed.
    case damaged(CustodyProblem)
    /// An event cannot be encoded.
    case invalidEvent(field: String, reason: String)
    /// A write or sync failed earlier: what reached the disk is unknown (fsync errors are not
    /// retried, the kernel may have dropped the pages), so the log takes nothing more. Reopen it.
    case failed(SystemError)
    /// The log was closed.
    case closed
    /// The log was opened without a signer, so it cannot make checkpoints.
    case noSigner
    /// The signer could not sign a checkpoint.
    case signing(reason: String)
    /// A proof was asked for sizes or an index the log does not have.
    case outOfRange(String)

    public var description: String {
        switch self {
        case .system(let error): "\(error)"
        case .locked(let path): "\(path): the custody log is open in another process"
        case .damaged(let problem): "custody log damaged: \(problem)"
        case .invalidEvent(let field, let reason): "custody event: \(field): \(reason)"
        case .failed(let error): "custody log stopped after a failed write: \(error)"
        case .closed: "the custody log is closed"
        case .noSigner: "the custody log has no signer for checkpoints"
        case .signing(let reason): "checkpoint signing failed: \(reason)"
        case .outOfRange(let what): "out of range: \(what)"
        }
    }
}

/// The first thing wrong in a custody directory, with the file and the entry or checkpoint
/// index (0-based) where it is.
public enum CustodyProblem: Sendable, Equatable, CustomStringConvertible {
    /// Entry `index` of the log (at byte `offset` of `file`) cannot be read.
    case entry(file: String, index: UInt64, offset: Int, RecordDamage)
    /// Checkpoint `index` (covering `treeSize` entries, when it could be read) does not hold.
    case checkpoint(file: String, index: Int, treeSize: UInt64?, CheckpointFault)

    public var description: String {
        switch self {
        case .entry(let file, let index, let offset, let damage):
            "\(file): entry \(index) (byte \(offset)): \(damage)"
        case .checkpoint(let file, let index, let treeSize, let fault):
            "\(file): checkpoint \(index)" + (treeSize.map { " (tree size \($0))" } ?? "") + ": \(fault)"
        }
    }
}

/// Why a stored record could not be used.
public enum RecordDamage: Sendable, Equatable, CustomStringConvertible {
    /// The file does not start with its magic bytes.
    case badMagic
    /// A record header's checksum fails: its length cannot be trusted.
    case headerChecksum
    /// A record header declares an impossible length.
    case oversized(length: Int)
    /// A complete record's payload does not match its checksum.
    case payloadChecksum
    /// The record checks out but its payload is not a valid entry or checkpoint.
    case undecodable(String)

    public var description: String {
        switch self {
        case .badMagic: "the file does not start with the custody magic"
        case .headerChecksum: "record header checksum mismatch"
        case .oversized(let length): "record length \(length) is impossible"
        case .payloadChecksum: "record checksum mismatch"
        case .undecodable(let reason): "undecodable: \(reason)"
        }
    }
}

/// Why a checkpoint does not hold.
public enum CheckpointFault: Sendable, Equatable, CustomStringConvertible {
    /// The checkpoint record cannot be read.
    case record(RecordDamage)
    /// It covers more entries than the log holds: acknowledged entries are missing.
    case beyondLog(entries: UInt64)
    /// Its tree size does not grow past the previous checkpoint's.
    case notIncreasing(previous: UInt64)
    /// The recomputed root differs: an entry at or after `firstEntry` (the previous
    /// checkpoint's size) and below this checkpoint's size differs from what was signed.
    case rootMismatch(firstEntry: UInt64)
    /// The signature does not verify, or does not bind these bytes to this authority.
    case signature(String)

    public var description: String {
        switch self {
        case .record(let damage): "\(damage)"
        case .beyondLog(let entries): "covers entries the log does not have (the log holds \(entries))"
        case .notIncreasing(let previous): "tree size does not grow past the previous checkpoint's \(previous)"
        case .rootMismatch(let first): "root hash mismatch: an entry from \(first) on was changed after signing"
        case .signature(let reason): "signature: \(reason)"
        }
    }
}

/// Wraps a `SystemError` as a custody error.
func system<T>(_ body: @autoclosure () throws(SystemError) -> T) throws(CustodyError) -> T {
    do { return try body() } catch { throw .system(error) }
}
