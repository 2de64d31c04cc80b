import DossierModel
import DossierSystem
import Hummingbird
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Streams a file as a response body, whole (200) or one byte range of it (206, RFC 9110
/// §14), in 64 KiB reads, so memory stays flat whatever the archive's size. A body no piece of
/// which could be written for `stall` (a client that stopped reading, or an HTTP/2 window never
/// opened) closes its channel: the server's idle timeout does not run while a response is being
/// written, and the stream would hold its file and the caller's connection for good.
enum FileResponse {
    static let chunk = 64 << 10

    /// The answer for `path` of `size` bytes given the request's `Range` header.
    ///
    /// One range is served: `bytes=N-`, `bytes=N-M` and `bytes=-N` (the last N bytes). A header
    /// this server does not understand (another unit, several ranges, bad syntax) is ignored
    /// and the whole file sent, as RFC 9110 allows.
    /// - Throws: `PeerHTTPError` 416 with `Content-Range: bytes */<size>` for a range that
    ///   is syntactically valid but lies wholly past the end.
    static func make(
        path: String, size: UInt64, range: String?, contentType: String, channel: any Channel, stall: Duration
    ) throws -> Response {
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes"]
        var first: UInt64 = 0
        var length = size
        var partial = false
        if let range, let requested = ByteRange(header: range) {
            guard let (start, count) = requested.resolve(size: size) else {
                throw PeerHTTPError(
                    .rangeNotSatisfiable, "bad-range", "the range \(range) lies outside the \(size) bytes of the archive",
                    headers: [.contentRange: "bytes */\(size)"])
            }
            first = start
            length = count
            partial = true
            headers[.contentRange] = "bytes \(start)-\(start + count - 1)/\(size)"
        }
        let body = ResponseBody(contentLength: Int(length)) { [first, length] writer in
            let fd = try FileIO.openForReading(path)
            defer { close(fd) }
            var offset = off_t(first)
            var left = length
            var buffer = ByteBuffer()
            let progress = LastWrite()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await closeWhenStalled(channel, progress: progress, stall: stall) }
                while left > 0 {
                    buffer.clear()
                    let want = Int(min(UInt64(chunk), left))
                    let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                        let n = pread(fd, raw.baseAddress, want, offset)
                        if n < 0 { throw SystemError.last(.read, path: path) }
                        return n
                    }
                    // The file shrank under us: end the body short rather than send other bytes.
                    guard got > 0 else { throw SystemError(.read, path: path, errno: EIO) }
                    offset += off_t(got)
                    left -= UInt64(got)
                    try await writer.write(buffer)
                    progress.touch()
                }
                // The end of the body waits for the channel too: still watched.
                try await writer.finish(nil)
                group.cancelAll()
            }
        }
        return Response(status: partial ? .partialContent : .ok, headers: headers, body: body)
    }
}

/// When a body last got a piece written. Thread-safe.
private final class LastWrite: Sendable {
    private let at = Mutex(ContinuousClock.now)
    func touch() { at.withLock { $0 = .now } }
    var age: Duration { at.withLock { $0 }.duration(to: .now) }
}

/// Closes `channel` once `progress` is `stall` old; returns when cancelled.
private func closeWhenStalled(_ channel: any Channel, progress: LastWrite, stall: Duration) async {
    let stall = max(stall, .seconds(1))
    let check = min(stall / 4, .seconds(1))
    while !Task.isCancelled {
        try? await Task.sleep(for: check)
        if !Task.isCancelled, progress.age >= stall {
            channel.close(promise: nil)
            return
        }
    }
}

/// One `Range: bytes=…` request (RFC 9110 §14.1.2).
struct ByteRange: Equatable {
    enum Form: Equatable {
        /// `bytes=first-` or `bytes=first-last`.
        case from(UInt64, through: UInt64?)
        /// `bytes=-count`: the last `count` bytes.
        case suffix(UInt64)
    }

    let form: Form

    /// Parses a single byte range; nil for anything else (several ranges, other units, bad
    /// syntax, last < first), which the caller ignores.
    init?(header: String) {
        let text = header.trimmingCharacters(in: .whitespaces)
        guard text.hasPrefix("bytes="), !text.contains(",") else { return nil }
        let spec = text.dropFirst(6).trimmingCharacters(in: .whitespaces)
        guard let dash = spec.firstIndex(of: "-") else { return nil }
        let start = spec[..<dash], end = spec[spec.index(after: dash)...]
        guard start.allSatisfy(\.isASCIIDigit), end.allSatisfy(\.isASCIIDigit) else { return nil }
        if start.isEmpty {
            guard let count = UInt64(end) else { return nil }
            form = .suffix(count)
        } else {
            guard let first = UInt64(start) else { return nil }
            let last = end.isEmpty ? nil : UInt64(end)
            if !end.isEmpty && last == nil { return nil }
            if let last, last < first { return nil }
            form = .from(first, through: last)
        }
    }

    /// The first byte and the length this range selects in a file of `size` bytes; nil when
    /// it selects nothing (unsatisfiable: 416).
    func resolve(size: UInt64) -> (UInt64, UInt64)? {
        switch form {
        case let .from(first, last):
            guard first < size else { return nil }
            let end = min(last ?? (size - 1), size - 1)
            return (first, end - first + 1)
        case let .suffix(count):
            guard count > 0, size > 0 else { return nil }
            let length = min(count, size)
            return (size - length, length)
        }
    }
}
