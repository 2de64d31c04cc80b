import DossierArchive
import Foundation
import Hummingbird

#if canImport(Glibc)
import Glibc
#endif

/// Streams a file as a response body, whole (200) or from an offset (`Range: bytes=N-`, 206),
/// in 64 KiB reads, so memory stays flat whatever the archive's size.
enum FileResponse {
    static let chunk = 64 << 10

    /// The answer for `path` of `size` bytes given the request's `Range` header.
    /// - Throws: `PeerHTTPError` 416 for a range this server does not serve or that starts
    ///   past the end.
    static func make(path: String, size: UInt64, range: String?, contentType: String) throws -> Response {
        var start: UInt64 = 0
        if let range {
            guard let offset = parseOpenRange(range), offset < size || (offset == 0 && size == 0) else {
                throw PeerHTTPError(.rangeNotSatisfiable, "bad-range", "only bytes=N- with N < \(size) is served")
            }
            start = offset
        }
        var headers: HTTPFields = [.contentType: contentType, .acceptRanges: "bytes"]
        let first = start
        let length = size - first
        if range != nil { headers[.contentRange] = "bytes \(first)-\(size == 0 ? 0 : size - 1)/\(size)" }
        let body = ResponseBody(contentLength: Int(length)) { writer in
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ArchiveError.io(path: path, operation: "open", errno: errno) }
            defer { close(fd) }
            var offset = off_t(first)
            var left = length
            var buffer = ByteBuffer()
            while left > 0 {
                buffer.clear()
                let want = Int(min(UInt64(chunk), left))
                let got = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: want) { raw in
                    let n = pread(fd, raw.baseAddress, want, offset)
                    if n < 0 { throw ArchiveError.io(path: path, operation: "read", errno: errno) }
                    return n
                }
                guard got > 0 else { throw ArchiveError.io(path: path, operation: "read (file shrank)", errno: EIO) }
                offset += off_t(got)
                left -= UInt64(got)
                try await writer.write(buffer)
            }
            try await writer.finish(nil)
        }
        return Response(status: range == nil ? .ok : .partialContent, headers: headers, body: body)
    }

    /// `bytes=N-` → N; other forms (closed ranges, several ranges) are not used by peers.
    static func parseOpenRange(_ header: String) -> UInt64? {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("bytes="), trimmed.hasSuffix("-") else { return nil }
        return UInt64(trimmed.dropFirst(6).dropLast())
    }
}
