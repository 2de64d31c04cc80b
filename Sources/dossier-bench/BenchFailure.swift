import Foundation

/// Why a benchmark run could not be measured.
enum BenchFailure: Error, CustomStringConvertible {
    case system(String, Int32)
    case sqlite(Int32)

    var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .sqlite(let status): "sqlite3 exited with status \(status)"
        }
    }
}
