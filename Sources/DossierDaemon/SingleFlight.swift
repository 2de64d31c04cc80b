/// Runs one piece of work per key at a time: a caller arriving while the work for its key is
/// running waits for that run and gets its result instead of starting another.
actor SingleFlight<Value: Sendable> {
    private var running: [String: Task<Value, any Error>] = [:]

    /// The result of `work` for `key`, or of the run for `key` already under way.
    func run(key: String, _ work: @escaping @Sendable () async throws -> Value) async throws -> Value {
        if let task = running[key] { return try await task.value }
        let task = Task { try await work() }
        running[key] = task
        defer { running[key] = nil }
        return try await task.value
    }
}
