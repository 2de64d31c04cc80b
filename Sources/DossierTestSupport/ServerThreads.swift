import Dispatch

/// A task executor for servers that a test runs in its own process, on threads outside Swift's
/// cooperative pool.
///
/// Tests block cooperative threads now and then (`run`, `dossierctl`, `waitUntilExit`); with
/// as many cooperative threads as cores (two here) and dozens of suites in parallel, two such
/// calls at once leave an in-process server no thread to answer on, and a client waiting on it
/// times out. A server run under `withTaskExecutorPreference(ServerThreads.shared)` keeps its
/// connection tasks (structured children of its run) on these threads instead.
///
/// Thread-safety: `enqueue` may be called from any thread.
public final class ServerThreads: TaskExecutor {
    /// The one executor of the test process.
    public static let shared = ServerThreads()

    // A concurrent queue on libdispatch's ordinary (not cooperative) root queue, which adds
    // threads when those it has are blocked.
    private let queue = DispatchQueue(label: "dossier-test-servers", attributes: .concurrent)

    private init() {}

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.async { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
