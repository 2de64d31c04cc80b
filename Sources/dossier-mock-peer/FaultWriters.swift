import Hummingbird
import NIOCore

/// Forwards a response body in small slices at a set rate: the "slow trickle" fault.
struct TrickleWriter: ResponseBodyWriter {
    var inner: any ResponseBodyWriter
    let bytesPerSecond: Int

    mutating func write(_ buffer: ByteBuffer) async throws {
        // Ten slices a second keeps the rate smooth without a sleep per byte.
        let slice = max(1, bytesPerSecond / 10)
        var rest = buffer
        while let part = rest.readSlice(length: min(slice, rest.readableBytes)), part.readableBytes > 0 {
            try await inner.write(part)
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await inner.finish(trailingHeaders)
    }
}

/// Forwards a response body until `cutAfter` bytes, then drops the connection: the
/// "close mid-body" fault on a download.
struct CuttingWriter: ResponseBodyWriter {
    var inner: any ResponseBodyWriter
    let channel: any Channel
    var left: Int

    struct Cut: Error {}

    mutating func write(_ buffer: ByteBuffer) async throws {
        var part = buffer
        if part.readableBytes >= left {
            if left > 0, let head = part.readSlice(length: left) { try await inner.write(head) }
            channel.close(promise: nil)
            throw Cut()
        }
        left -= part.readableBytes
        try await inner.write(part)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        channel.close(promise: nil)
        throw Cut()
    }
}
