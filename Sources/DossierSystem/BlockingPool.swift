import NIOCore
import NIOPosix

/// The one place blocking work runs: packing, verification, inbox writes and digests hop here
/// from async code, so Swift's cooperative pool (which serves every request task) never blocks
/// on a disk or a hash. A fixed number of threads bounds how much of that work runs at once;
/// more waits in the pool's queue.
///
/// Thread-safe. Built on SwiftNIO's `NIOThreadPool`, the pool Hummingbird uses for file I/O.
public final class BlockingPool: Sendable {
    private let pool: NIOThreadPool
    /// How many jobs may run at once.
    public let threads: Int

    /// Starts a pool of `threads` threads (at least one).
    public init(threads: Int) {
        self.threads = max(1, threads)
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// A pool sized for this machine: one thread per core, at least two, so that one long
    /// verification cannot hold up every other job.
    public convenience init() {
        self.init(threads: max(2, System.coreCount))
    }

    /// Runs `work` on a pool thread and returns its result.
    /// - Throws: what `work` throws, or NIO's `NIOThreadPoolError.ThreadPoolInactive` after
    ///   `shutdown()`.
    public func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(work)
    }

    /// Lets queued work finish and stops the threads.
    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
