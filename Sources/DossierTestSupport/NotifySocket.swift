import Foundation

/// A real AF_UNIX datagram socket standing in for systemd's notify socket: the test passes its
/// path as `NOTIFY_SOCKET` and reads what the daemon sends.
public final class NotifySocket: Sendable {
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError.failed("socket(): \(errno)") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw HarnessError.failed("bind(\(path)): \(errno)") }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Reads and drops what is queued, so that what the daemon sends next finds room: the
    /// kernel queues 10 datagrams (`net.unix.max_dgram_qlen`) and the daemon sends a status and
    /// a watchdog ping every 10 s.
    public func discardQueued() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
    }

    /// Collects messages until every one of `needles` has appeared in some message, or `timeout`
    /// seconds pass; returns all read.
    public func read(untilAll needles: [String], timeout: Double = 10) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, !needles.allSatisfy({ needle in messages.contains { $0.contains(needle) } }) {
            messages += read(
                until: needles.first { needle in !messages.contains { $0.contains(needle) } } ?? "",
                timeout: deadline.timeIntervalSinceNow)
        }
        return messages
    }

    /// Collects messages until one contains `needle` or `timeout` seconds pass; returns all read.
    public func read(until needle: String, timeout: Double = 10) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                let message = String(decoding: buffer[0..<n], as: UTF8.self)
                messages.append(message)
                if message.contains(needle) { break }
            }
        }
        return messages
    }
}
