import CLinuxSync

#if canImport(Glibc)
    import Glibc
#endif

/// A thread that nobody joins.
///
/// Foundation's `Thread.start()` ignores a failed `pthread_create`: the body then never runs,
/// and whoever waits for it waits for ever. Here the caller learns it and can do the work
/// itself, or fail with an error that says so.
public enum DetachedThread {
    /// Runs `body` on a new detached thread named `name` (its first 15 bytes: what `top -H` and
    /// `/proc/<pid>/task/*/comm` show).
    /// - Throws: `SystemError` (`create thread`, the name, the `pthread_create` error:
    ///   `EAGAIN` when the process or its user is at the thread limit), `body` not run.
    public static func start(named name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        let context = Unmanaged.passRetained(Body(name: name, run: body)).toOpaque()
        var thread = pthread_t()
        let made = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                let body = Unmanaged<Body>.fromOpaque(context).takeRetainedValue()
                pthread_setname_np(pthread_self(), String(decoding: body.name.utf8.prefix(15), as: UTF8.self))
                body.run()
                return nil
            }, context)
        guard made == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemError(.createThread, path: name, errno: made)
        }
        pthread_detach(thread)
    }

    /// The body and its name, boxed to travel through `pthread_create`'s context pointer.
    private final class Body: Sendable {
        let name: String
        let run: @Sendable () -> Void
        init(name: String, run: @escaping @Sendable () -> Void) {
            self.name = name
            self.run = run
        }
    }
}

/// Where a component that starts threads gets them: `system` (`DetachedThread`), or
/// `exhausted`, which never has one, as a process at its thread limit; tests use it to show
/// that the component then still does its work, or fails saying why, and never hangs.
public enum ThreadStarter: Sendable, Equatable {
    /// Real threads.
    case system
    /// No thread, ever: `start` throws `EAGAIN` as `pthread_create` does at the limit.
    case exhausted

    /// Runs `body` on a new thread named `name`.
    /// - Throws: `SystemError` when there is no thread to be had; `body` is then not run.
    public func start(named name: String, _ body: @escaping @Sendable () -> Void) throws(SystemError) {
        switch self {
        case .system: try DetachedThread.start(named: name, body)
        case .exhausted: throw SystemError(.createThread, path: name, errno: EAGAIN)
        }
    }
}
