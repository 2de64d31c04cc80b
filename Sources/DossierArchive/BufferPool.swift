import Foundation
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
/// on the build machine: first-touch writes run at 0.4–0.7 GB/s, rewrites at 3.8 GB/s). So the
/// `keep` buffers the pool holds on to are carved from one region the kernel is asked to back
/// with 2 MiB pages (`MADV_HUGEPAGE`; a hint, ignored where transparent huge pages are off):
/// the 4 MiB a packer takes are two page faults instead of 1,024, 0.1–0.4 ms against 1.4–2.2 ms
/// in a fresh process here, as every `dossierctl pack` is. Buffers beyond those are allocated
/// when needed and freed when given back.
/// Thread-safe.
final class BufferPool: Sendable {
    /// Shared by every packer and scanner in the process.
    static let shared = BufferPool(keep: 32)

    static let bufferSize = 256 << 10
    private static let hugePage = 2 << 20

    private let keep: Int
    /// Where the kept buffers live, 2 MiB-aligned; nil when it could not be mapped (every
    /// buffer is then allocated when taken and freed when given back).
    private let region: UInt?
    /// The mapping the region lies in: its start and length.
    private let mapping: (start: UInt, length: Int)?
    private struct State {
        var idle: [PooledBuffer] = []
        /// Buffers carved from the region so far.
        var carved = 0
    }
    private let state = Mutex(State())

    init(keep: Int) {
        self.keep = keep
        let length = keep * Self.bufferSize
        // Mapped with a huge page of slack, so that the region can start on a 2 MiB boundary:
        // a huge page backs only an aligned 2 MiB. The slack stays mapped and untouched.
        guard let mapped = mmap(nil, length + Self.hugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        else {
            (region, mapping) = (nil, nil)
            return
        }
        let start = (UInt(bitPattern: mapped) + UInt(Self.hugePage - 1)) & ~UInt(Self.hugePage - 1)
        _ = madvise(UnsafeMutableRawPointer(bitPattern: start), length, MADV_HUGEPAGE)
        (region, mapping) = (start, (UInt(bitPattern: mapped), length + Self.hugePage))
    }

    /// Every buffer taken must have been given back (the shared pool is never released).
    deinit {
        if let mapping { munmap(UnsafeMutableRawPointer(bitPattern: mapping.start), mapping.length) }
    }

    /// A buffer of `bufferSize` bytes, aligned to 4096 (as `O_DIRECT` needs).
    func take() -> UnsafeMutableRawBufferPointer {
        let kept = state.withLock { (state) -> UnsafeMutableRawBufferPointer? in
            if let buffer = state.idle.popLast() { return buffer.memory }
            guard let region, state.carved < keep else { return nil }
            defer { state.carved += 1 }
            return UnsafeMutableRawBufferPointer(
                start: UnsafeMutableRawPointer(bitPattern: region + UInt(state.carved * Self.bufferSize)), count: Self.bufferSize)
        }
        return kept ?? .allocate(byteCount: Self.bufferSize, alignment: 4096)
    }

    /// Hands a buffer from `take()` back; it must not be used afterwards.
    func give(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let region, let base = buffer.baseAddress,
            (region..<region + UInt(keep * Self.bufferSize)).contains(UInt(bitPattern: base))
        else { return buffer.deallocate() }
        state.withLock { $0.idle.append(PooledBuffer(memory: buffer)) }
    }
}

/// A buffer resting in the pool. `@unchecked Sendable` is safe: a pooled buffer belongs to
/// nobody until `take()` hands it to exactly one caller.
private struct PooledBuffer: @unchecked Sendable {
    let memory: UnsafeMutableRawBufferPointer
}
