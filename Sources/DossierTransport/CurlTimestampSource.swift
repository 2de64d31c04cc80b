import CCurl
import DossierArchive
import Foundation

/// Asks an RFC 3161 time-stamping authority over HTTP(S) (RFC 3161 §3.4: `POST` of
/// `application/timestamp-query`, answer `application/timestamp-reply`), one blocking libcurl
/// easy transfer per query on the calling thread (the blocking pool, while packing). HTTPS
/// servers are verified against the system's CA bundle; the token itself is judged by the
/// packer against `[timestamp] trust`.
public struct CurlTimestampSource: TimestampSource {
    /// The TSA's URL (`[timestamp] url`).
    public var url: String
    /// Most seconds one exchange may take, connecting included.
    public var timeout: TimeInterval

    /// Asks the TSA at `url`, each exchange cut off after `timeout` seconds.
    public init(url: String, timeout: TimeInterval) {
        self.url = url
        self.timeout = timeout
    }

    /// libcurl's global setup, done once per process (Swift runs a static initializer once).
    private static let initialized: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Most bytes of an answer: a token with its certificate chain is a few KiB.
    static let answerLimit = 256 << 10

    /// - Throws: `TimestampError.unreachable` naming the URL and what went wrong.
    public func exchange(_ query: [UInt8]) throws(TimestampError) -> [UInt8] {
        Self.initialized
        guard let easy = curl_easy_init() else { throw .unreachable(url: url, detail: "libcurl: out of memory") }
        defer { curl_easy_cleanup(easy) }
        let sink = AnswerSink()
        let context = Unmanaged.passRetained(sink)
        defer { context.release() }
        var headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: application/timestamp-query")
        headers = curl_slist_append(headers, "Accept: application/timestamp-reply")
        headers = curl_slist_append(headers, "Expect:")
        defer { curl_slist_free_all(headers) }
        let code: CURLcode = query.withUnsafeBytes { body in
            let steps: [CURLcode] = [
                dossier_curl_easy_setopt_str(easy, CURLOPT_URL, url),
                dossier_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1),
                dossier_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(timeout * 1000)),
                dossier_curl_easy_setopt_long(easy, CURLOPT_POST, 1),
                dossier_curl_easy_setopt_ptr(easy, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: body.baseAddress)),
                dossier_curl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
                dossier_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headers),
                dossier_curl_easy_setopt_write_cb(easy, collectAnswer),
                dossier_curl_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, context.toOpaque()),
            ]
            return steps.first { $0 != CURLE_OK } ?? curl_easy_perform(easy)
        }
        guard code == CURLE_OK else {
            let detail = sink.overflow ? "an answer over \(Self.answerLimit) bytes" : String(cString: curl_easy_strerror(code))
            throw .unreachable(url: url, detail: detail)
        }
        var status = 0
        _ = dossier_curl_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        guard status == 200 else { throw .unreachable(url: url, detail: "HTTP status \(status)") }
        var type: UnsafeMutableRawPointer?
        _ = dossier_curl_easy_getinfo_ptr(easy, CURLINFO_CONTENT_TYPE, &type)
        let contentType = type.map { String(cString: $0.assumingMemoryBound(to: CChar.self)) } ?? "(none)"
        guard contentType.lowercased().hasPrefix("application/timestamp-reply") else {
            throw .unreachable(url: url, detail: "answered \(contentType), not application/timestamp-reply")
        }
        return sink.bytes
    }
}

/// The answer's bytes, filled by libcurl's write callback on the calling thread.
private final class AnswerSink {
    var bytes: [UInt8] = []
    var overflow = false
}

private let collectAnswer: curl_write_callback = { data, size, count, context in
    guard let data, let context else { return 0 }
    let sink = Unmanaged<AnswerSink>.fromOpaque(context).takeUnretainedValue()
    let n = size * count
    guard sink.bytes.count + n <= CurlTimestampSource.answerLimit else {
        sink.overflow = true
        return 0
    }
    sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
    return n
}
