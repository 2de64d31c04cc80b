import Foundation

/// Why a benchmark run could not be measured.
enum BenchFailure: Error, CustomStringConvertible {
    case system(String, Int32)
    case sqlite(Int32)
    /// A baseline or helper program could not be started.
    case spawn(String, Int32)
    /// A baseline or helper program exited non-zero (the command line, the status).
    case failed(String, Int32)
    /// The benchmark's own setup went wrong.
    case setup(String)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .sqlite(let status): "sqlite3 exited with status \(status)"
        case .spawn(let program, let code): "could not start \(program): \(String(cString: strerror(code)))"
        case .failed(let command, let status): "\(command) exited with \(status)"
        case .setup(let text): text
        }
    }
}
