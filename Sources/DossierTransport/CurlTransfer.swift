import CCurl
import DossierSystem
import Foundation

/// One request in flight inside the libcurl engine: the easy handle, its upload source,
/// its answer sink, and the continuation to resume. Lives on the engine thread only.
final class CurlTransfer {
    let request: PeerRequest
    let easy: UnsafeMutableRawPointer
    private var continuation: CheckedContinuation<PeerResponse, any Error>?
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var uploadFD: Int32 = -1
    private var uploadBytes: [UInt8] = []
    private var uploadOffset = 0
    private var sinkFD: Int32 = -1
    /// Bytes the sink file may still take (`Sink.file`'s limit less what it holds).
    private var sinkRoom: UInt64 = 0
    private(set) var body: [UInt8] = []
    private(set) var headers: [String: String] = [:]
    /// Bytes of header lines taken so far, interim answers' included.
    private var headerBytes = 0
    /// Set when a callback aborted the transfer on purpose.
    private(set) var localFailure: TransportError?
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
    /// The peer's expected identity, read by the TLS callbacks of this transfer's connections.
    private var pin: UnsafeMutablePointer<dossier_pin>?

    init(request: PeerRequest, easy: UnsafeMutableRawPointer, continuation: CheckedContinuation<PeerResponse, any Error>) {
        self.request = request
        self.easy = easy
        self.continuation = continuation
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        if uploadFD >= 0 { close(uploadFD) }
        if sinkFD >= 0 { close(sinkFD) }
        curl_slist_free_all(headerList)
        errorBuffer.deallocate()
        dossier_pin_free(pin)
    }

    /// The server's identity did not match the request's peer: what it presented instead.
    var identityMismatch: String? { pinFailure(DOSSIER_PIN_IDENTITY, DOSSIER_PIN_SPKI) }

    /// The kept connection's chain no longer verifies under the trust in force: OpenSSL's reason.
    var chainWithdrawn: String? { pinFailure(DOSSIER_PIN_CHAIN) }

    private func pinFailure(_ kinds: dossier_pin_failure...) -> String? {
        guard let pin, kinds.contains(where: { Int32($0.rawValue) == dossier_pin_failure_kind(pin) }) else { return nil }
        return String(cString: dossier_pin_presented(pin))
    }

    /// Opens the body source and sink and sets every option on the easy handle.
    func configure(tls: PeerTLS, options: PeerClient.Options) throws(TransportError) {
        let url = request.url
        func check(_ code: CURLcode, _ what: String) throws(TransportError) {
            guard code == CURLE_OK else { throw .setup(url: url, detail: "\(what): \(String(cString: curl_easy_strerror(code)))") }
        }
        let me = Unmanaged.passUnretained(self).toOpaque()
        try check(dossier_curl_easy_setopt_str(easy, CURLOPT_URL, url), "URL")
        try check(dossier_curl_easy_setopt_ptr(easy, CURLOPT_PRIVATE, me), "private")
        try check(dossier_curl_easy_setopt_ptr(easy, CURLOPT_ERRORBUFFER, errorBuffer), "error buffer")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_NOSIGNAL, 1), "nosignal")
        try check(dossier_curl_easy_setopt_str(easy, CURLOPT_SSLCERT, tls.certificateFile), "client certificate")
        try check(dossier_curl_easy_setopt_str(easy, CURLOPT_SSLKEY, tls.keyFile), "client key")
        // The chain is verified against `tls.trust`'s store, which the pin installs in each new
        // SSL_CTX: libcurl need not load any CA file (nor the system bundle) of its own.
        try check(dossier_curl_easy_setopt_str(easy, CURLOPT_CAINFO, nil), "CA file")
        try check(dossier_curl_easy_setopt_str(easy, CURLOPT_CAPATH, nil), "CA path")
        try configurePin(tls: tls, check: check)
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYPEER, 1), "verify peer")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_SSL_VERIFYHOST, 2), "verify host")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2)), "TLS version")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS)), "HTTP version")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_PIPEWAIT, 1), "pipewait")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000)), "connect timeout")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_LIMIT, options.lowSpeedLimit), "low speed limit")
        try check(dossier_curl_easy_setopt_long(easy, CURLOPT_LOW_SPEED_TIME, Int(options.lowSpeedTime)), "low speed time")
        if let total = options.totalTimeout {
            try check(dossier_curl_easy_setopt_long(easy, CURLOPT_TIMEOUT_MS, Int(total * 1000)), "timeout")
        }
        try check(dossier_curl_easy_setopt_write_cb(easy, curlWrite), "write callback")
        try check(dossier_curl_easy_setopt_ptr(easy, CURLOPT_WRITEDATA, me), "write data")
        try check(dossier_curl_easy_setopt_header_cb(easy, curlHeader), "header callback")
        try check(dossier_curl_easy_setopt_ptr(easy, CURLOPT_HEADERDATA, me), "header data")

        // An empty Expect: stops curl from waiting for a 100 Continue the server may never send.
        var lines = ["Expect:"] + request.headers.map { "\($0.0): \($0.1)" }
        try configureBody(check: check, me: me)
        try configureSink(check: check, lines: &lines)
        for line in lines { headerList = curl_slist_append(headerList, line) }
        try check(dossier_curl_easy_setopt_slist(easy, CURLOPT_HTTPHEADER, headerList), "headers")
    }

    private func configurePin(tls: PeerTLS, check: (CURLcode, String) throws(TransportError) -> Void) throws(TransportError) {
        guard let pin = dossier_pin_new(easy, tls.trust.store.store, request.peer.code) else {
            throw .setup(url: request.url, detail: "out of memory")
        }
        self.pin = pin
        for key in request.peer.spkiSHA256 {
            guard key.count == 32, dossier_pin_add_spki(pin, key) == 1 else {
                throw .setup(url: request.url, detail: "SPKI pins are 32-byte SHA-256 digests, at most \(DOSSIER_PIN_MAX_SPKI)")
            }
        }
        try check(dossier_curl_easy_pin(easy, pin), "peer pin")
    }

    private func configureBody(check: (CURLcode, String) throws(TransportError) -> Void, me: UnsafeMutableRawPointer) throws(TransportError)
    {
        let size: UInt64
        switch request.body {
        case .none:
            size = 0
        case let .bytes(bytes):
            uploadBytes = bytes
            size = UInt64(bytes.count)
        case let .file(path, fileSize):
            do throws(SystemError) { uploadFD = try FileIO.openForReading(path) } catch { throw .file(error) }
            posix_fadvise(uploadFD, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
            size = fileSize
        }
        switch request.method {
        case .get:
            return
        case .put:
            try check(dossier_curl_easy_setopt_long(easy, CURLOPT_UPLOAD, 1), "upload")
            try check(dossier_curl_easy_setopt_off(easy, CURLOPT_INFILESIZE_LARGE, curl_off_t(size)), "upload size")
        case .post:
            try check(dossier_curl_easy_setopt_long(easy, CURLOPT_POST, 1), "post")
            try check(dossier_curl_easy_setopt_off(easy, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(size)), "post size")
        }
        try check(dossier_curl_easy_setopt_read_cb(easy, curlRead), "read callback")
        try check(dossier_curl_easy_setopt_ptr(easy, CURLOPT_READDATA, me), "read data")
        // libcurl rewinds the body when it must send it again (an HTTP/2 stream the server
        // refused, a kept-alive connection found closed); without this it fails the transfer.
        try check(dossier_curl_easy_setopt_seek_cb(easy, curlSeek), "seek callback")
        try check(dossier_curl_easy_setopt_ptr(easy, CURLOPT_SEEKDATA, me), "seek data")
    }

    private func configureSink(check: (CURLcode, String) throws(TransportError) -> Void, lines: inout [String]) throws(TransportError) {
        guard case let .file(path, resumeFrom, limit) = request.sink else { return }
        sinkRoom = limit > resumeFrom ? limit - resumeFrom : 0
        sinkFD = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (resumeFrom > 0 ? O_APPEND : O_TRUNC), 0o640)
        guard sinkFD >= 0 else { throw .file(.last(.open, path: path)) }
        if resumeFrom > 0 {
            try check(dossier_curl_easy_setopt_off(easy, CURLOPT_RESUME_FROM_LARGE, curl_off_t(resumeFrom)), "resume")
        }
    }

    /// Fills curl's upload buffer; returns bytes written, 0 at the end, or CURL_READFUNC_ABORT.
    func read(into buffer: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        if uploadFD >= 0 {
            do throws(SystemError) {
                return try FileIO.readSome(fd: uploadFD, into: buffer, count: capacity, path: uploadPath)
            } catch {
                localFailure = .file(error)
                return Int(CURL_READFUNC_ABORT)
            }
        }
        let n = min(capacity, uploadBytes.count - uploadOffset)
        if n > 0 {
            uploadBytes.withUnsafeBytes { UnsafeMutableRawPointer(buffer).copyMemory(from: $0.baseAddress! + uploadOffset, byteCount: n) }
            uploadOffset += n
        }
        return n
    }

    /// Moves the upload back to `offset` from its start (libcurl asks only with SEEK_SET) so
    /// that the body can be sent again; CURL_SEEKFUNC_OK or CURL_SEEKFUNC_FAIL.
    func seek(to offset: Int64, origin: Int32) -> Int32 {
        guard origin == SEEK_SET, offset >= 0 else { return CURL_SEEKFUNC_FAIL }
        if uploadFD >= 0 { return lseek(uploadFD, off_t(offset), SEEK_SET) == off_t(offset) ? CURL_SEEKFUNC_OK : CURL_SEEKFUNC_FAIL }
        guard offset <= uploadBytes.count else { return CURL_SEEKFUNC_FAIL }
        uploadOffset = Int(offset)
        return CURL_SEEKFUNC_OK
    }

    /// Takes a piece of the answer's body; returning less than `count` makes curl abort.
    func write(_ data: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        guard status / 100 == 2 || sinkFD < 0 else {
            // An error answer is small JSON: keep it in memory for the caller, never in the file.
            guard body.count + count <= 64 << 10 else { return 0 }
            body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
            return count
        }
        if sinkFD >= 0 {
            // The peer's word on the size is not trusted: past the limit the transfer stops.
            guard UInt64(count) <= sinkRoom else {
                if case let .file(_, _, limit) = request.sink {
                    localFailure = .responseTooLarge(url: request.url, limit: Int(clamping: limit))
                }
                return 0
            }
            sinkRoom -= UInt64(count)
            do throws(SystemError) {
                try FileIO.writeAll(fd: sinkFD, UnsafeRawBufferPointer(start: data, count: count), path: sinkPath)
            } catch {
                localFailure = .file(error)
                return 0
            }
            return count
        }
        if case let .memory(limit) = request.sink, body.count + count > limit {
            localFailure = .responseTooLarge(url: request.url, limit: limit)
            return 0
        }
        body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: count))
        return count
    }

    /// The most header bytes an answer may carry (all its lines, interim answers' included).
    /// The protocol's answers carry well under 1 KiB; libcurl's own bound (300 KiB, since the
    /// fix of CVE-2023-38039) is its build's, this one is ours.
    static let headerLimit = 64 << 10

    /// Takes one header line; a new status line (after a 100 or a redirect) starts afresh.
    /// Past `headerLimit` bytes it aborts the transfer (`TransportError.headersTooLarge`).
    func header(_ data: UnsafeMutablePointer<CChar>, count: Int) -> Int {
        headerBytes += count
        guard headerBytes <= Self.headerLimit else {
            localFailure = .headersTooLarge(url: request.url, limit: Self.headerLimit)
            return 0
        }
        let line = UnsafeRawBufferPointer(start: data, count: count)
        if line.starts(with: "HTTP/".utf8) {
            headers = [:]
            status = String(decoding: line, as: UTF8.self).split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        } else if let colon = line.firstIndex(of: UInt8(ascii: ":")) {
            let name = String(decoding: line[..<colon], as: UTF8.self).lowercased()
            headers[name] = String(decoding: Self.trimmingWhitespace(line[(colon + 1)...]), as: UTF8.self)
        }
        return count
    }

    /// `value` without the spaces and tabs around it (a field's optional whitespace) and its
    /// line end. Bytewise: Foundation's `trimmingCharacters(in:)` goes through `NSString` here,
    /// which cost 4 % of the client's CPU a push, for every header line of every answer.
    private static func trimmingWhitespace(_ value: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        guard let first = value.firstIndex(where: { !isWhitespace($0) }), let last = value.lastIndex(where: { !isWhitespace($0) })
        else { return value[value.startIndex..<value.startIndex] }
        return value[first...last]
    }

    private(set) var status = 0

    /// Resumes the waiting task, once.
    func finish(_ result: Result<PeerResponse, any Error>) {
        if sinkFD >= 0, case .success = result, fsync(sinkFD) != 0 {
            continuation?.resume(throwing: TransportError.file(.last(.fsync, path: sinkPath)))
        } else {
            continuation?.resume(with: result)
        }
        continuation = nil
    }

    private var uploadPath: String { if case let .file(path, _) = request.body { path } else { "" } }
    private var sinkPath: String { if case let .file(path, _, _) = request.sink { path } else { "" } }
}

private func transfer(_ pointer: UnsafeMutableRawPointer?) -> CurlTransfer? {
    pointer.map { Unmanaged<CurlTransfer>.fromOpaque($0).takeUnretainedValue() }
}

private let curlRead: curl_read_callback = { buffer, size, count, context in
    guard let buffer, let transfer = transfer(context) else { return Int(CURL_READFUNC_ABORT) }
    return transfer.read(into: buffer, capacity: size * count)
}

private let curlSeek: curl_seek_callback = { context, offset, origin in
    guard let transfer = transfer(context) else { return CURL_SEEKFUNC_FAIL }
    return transfer.seek(to: Int64(offset), origin: origin)
}

private let curlWrite: curl_write_callback = { data, size, count, context in
    guard let data, let transfer = transfer(context) else { return 0 }
    return transfer.write(data, count: size * count)
}

private let curlHeader: curl_write_callback = { data, size, count, context in
    guard let data, let transfer = transfer(context) else { return 0 }
    return transfer.header(data, count: size * count)
}
