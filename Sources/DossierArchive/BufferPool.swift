import Synchronization

/// Page-aligned 256 KiB I/O buffers, kept for reuse between archives.
///
/// The size is measured, not guessed: a typical archive is a few MiB, and the pack pipeline
/// waits one buffer at each end of every archive before all its stages run (1 MiB buffers
/// packed the benchmark set about 10% slower); smaller buffers make more, slower direct writes
/// (128 KiB: 20% slower), which the writer offsets by writing several buffers in one call.
///
/// Reuse matters more than it seems: a fresh buffer's pages are faulted in and zeroed by the
/// first read into it, which on a virtual machine costs as much as hashing the bytes (measured
/// on the build machine: first-touch writes run at 0.4–0.7 GB/s, rewrites at 3.8 GB/s).
/// Thread-safe.
final class BufferPool: Sendable {
    /// Shared by every packer and scanner in the process.
    static let shared = BufferPool(keep: 32)

    static let bufferSize = 256 << 10

    private let keep: Int
    private let idle = Mutex<[PooledBuffer]>([])

    init(keep: Int) { self.keep = keep }

    /// A buffer of `bufferSize` bytes, aligned to 4096 (as `O_DIRECT` needs).
    func take() -> UnsafeMutableRawBufferPointer {
        idle.withLock { $0.popLast() }?.memory ?? .allocate(byteCount: Self.bufferSize, alignment: 4096)
    }

    /// Hands a buffer from `take()` back; it must not be used afterwards.
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        let kept = idle.withLock { (idle) -> Bool in
            guard idle.count < keep else { return false }
            idle.append(PooledBuffer(memory: buffer))
            return true
        }
        if !kept { buffer.deallocate() }
    }
}

/// A buffer resting in the pool. `@unchecked Sendable` is safe: a pooled buffer belongs to
/// nobody until `take()` hands it to exactly one caller.
private struct PooledBuffer: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer
}
