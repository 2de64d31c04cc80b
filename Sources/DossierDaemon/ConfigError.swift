/// A configuration problem, naming the file, the key and what is wrong. The daemon refuses to
/// start (and a reload is refused) on any of these.
public struct ConfigError: Error, Equatable, CustomStringConvertible {
    public var file: String
    /// Dotted key path, e.g. `peers[1].url`; empty for whole-file problems.
    public var key: String
    public var problem: String

    public init(file: String, key: String, problem: String) {
        self.file = file
        self.key = key
        self.problem = problem
    }

    public var description: String {
        key.isEmpty ? "\(file): \(problem)" : "\(file): \(key): \(problem)"
    }
}
