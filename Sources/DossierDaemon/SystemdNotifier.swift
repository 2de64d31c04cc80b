import Foundation

/// The sd_notify protocol (READY, STATUS, WATCHDOG, STOPPING) over the datagram socket named by
/// `NOTIFY_SOCKET`, written directly so the daemon needs no libsystemd. A no-op when the
/// variable is unset (not under systemd). Thread-safe: each message is one `sendto`.
///
/// Never blocks for long: the kernel queues only `net.unix.max_dgram_qlen` datagrams (10 by
/// default) for a reader, and a blocking `sendto` to a reader that has stopped reading would
/// hold a thread of the cooperative pool for good (found on a 2-core host, where two such
/// sends stopped the whole daemon). A full queue drops `STATUS` and `WATCHDOG` at once (the
/// next period sends them again) and waits up to a second for a state change to fit.
public struct SystemdNotifier: Sendable {
    private let path: String?

    /// Reads `NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace).
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    public var isActive: Bool { path != nil }

    /// The watchdog period systemd expects pings within, from `WATCHDOG_USEC` (if for this pid).
    public static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> TimeInterval? {
        guard let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return usec / 1_000_000
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)", patience: Self.stateChangePatience) }
    public func status(_ text: String) { send("STATUS=\(text)") }
    public func watchdog() { send("WATCHDOG=1") }
    public func stopping() { send("STOPPING=1", patience: Self.stateChangePatience) }
    public func reloading() { send("RELOADING=1", patience: Self.stateChangePatience) }

    /// How many 10 ms waits a state change may spend on a full queue.
    private static let stateChangePatience = 100

    /// Sends one datagram, trying again every 10 ms up to `patience` times while the reader's
    /// queue is full; failures are ignored, as sd_notify does (systemd may be gone).
    public func send(_ message: String, patience: Int = 0) {
        guard let path else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (bytes.first == 0 ? 0 : 1))
        let payload = Array(message.utf8)
        for attempt in 0...patience {
            let sent = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(fd, payload, payload.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT), socketAddress, length)
                }
            }
            guard sent < 0, errno == EAGAIN || errno == EWOULDBLOCK, attempt < patience else { return }
            usleep(10_000)
        }
    }
}
