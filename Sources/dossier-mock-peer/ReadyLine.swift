import Foundation
import Synchronization

/// Prints the one `listening` line once both the peer and the control server are bound.
/// Thread-safe.
final class ReadyLine: Sendable {
    private let host: String
    private let ports = Mutex<(peer: Int?, control: Int?)>((nil, nil))

    init(host: String) { self.host = host }

    func peer(_ port: Int) { update { $0.peer = port } }
    func control(_ port: Int) { update { $0.control = port } }

    private func update(_ change: (inout (peer: Int?, control: Int?)) -> Void) {
        let line: String? = ports.withLock { ports in
            change(&ports)
            guard let peer = ports.peer, let control = ports.control else { return nil }
            return "listening \(host):\(peer) control \(control)"
        }
        guard let line else { return }
        // Unbuffered, so a parent reading the pipe sees the line at once.
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
