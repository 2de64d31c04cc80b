#if canImport(Glibc)
    import Glibc
#endif

/// A short-lived thread that nobody joins.
///
/// Foundation's `Thread.start()` ignores a failed `pthread_create`: the body then never runs,
/// and whoever waits for it waits for ever. Here the caller learns it and can do the work itself.
public enum DetachedThread {
    /// Runs `body` on a new detached thread. Returns false, without running `body`, when the
    /// system would not make a thread (`EAGAIN`: the process or user is at its thread limit).
    public static func start(_ body: @escaping @Sendable () -> Void) -> Bool {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let made = pthread_create(
            &thread, nil,
            { context in
                guard let context else { return nil }
                Unmanaged<Body>.fromOpaque(context).takeRetainedValue().run()
                return nil
            }, context)
        guard made == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    /// The body, boxed to travel through `pthread_create`'s context pointer.
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
