import CCurlOnDemand
import DossierAdmin
import DossierText
import Foundation

/// Talks to the daemon's admin API over its unix socket with libcurl (blocking; dossierctl
/// makes one request at a time). libcurl is loaded on the first request (`CCurlOnDemand`), so
/// the commands that never reach the daemon do not pay for loading it.
struct AdminClient {
    static let defaultSocket = "/run/dossierd/admin.sock"
    let socket: String

    /// Performs one request; the body of a 2xx answer is decoded as `T`.
    /// Exits 2 when the daemon does not answer, 1 on a negative answer (4xx).
    func call<T: Decodable>(_ method: String, _ path: String, json body: (any Encodable)? = nil, as type: T.Type) -> T {
        let data = succeeded(perform(method, path, body: body.flatMap { try? Self.encoder.encode($0) }))
        do { return try Self.decoder.decode(type, from: data) } catch {
            fail(CtlText.unexpectedAnswer(socket: socket, error: "\(error)"))
        }
    }

    /// The raw body of a GET whose answer is not JSON (the signed directory in force).
    /// Exits as `call` does.
    func bytes(_ path: String) -> [UInt8] {
        [UInt8](succeeded(perform("GET", path, body: nil)))
    }

    /// The body of a 2xx answer; exits 1 on a negative answer (4xx), 2 on a failure (5xx),
    /// with the daemon's reason.
    private func succeeded(_ answer: (status: Int, data: Data)) -> Data {
        guard (200..<300).contains(answer.status) else {
            let failure = try? Self.decoder.decode(AdminProtocol.Failure.self, from: answer.data)
            let problems = failure?.problems.map { "\n  " + $0.joined(separator: "\n  ") } ?? ""
            fail("\(failure?.text ?? CtlText.answeredHTTP(answer.status))\(problems)", code: answer.status >= 500 ? 2 : 1)
        }
        return answer.data
    }

    /// The answer of a GET decoded as `T`, or nil for any failure (for polling beside a
    /// request in flight: never exits).
    func poll<T: Decodable>(_ path: String, as type: T.Type) -> T? {
        guard let (status, data) = try? attempt("GET", path, body: nil), status == 200 else { return nil }
        return try? Self.decoder.decode(type, from: data)
    }

    /// The raw body of a GET (for /metrics).
    func text(_ path: String) -> String {
        let (status, data) = perform("GET", path, body: nil)
        guard status == 200 else { fail(CtlText.answeredHTTP(status)) }
        return String(decoding: data, as: UTF8.self)
    }

    private func perform(_ method: String, _ path: String, body: Data?) -> (Int, Data) {
        do { return try attempt(method, path, body: body) } catch let problem as AdminProblem {
            fail(problem.message)
        } catch {
            fail("\(error)")
        }
    }

    /// Why a request got no answer.
    private struct AdminProblem: Error { var message: String }

    /// One request; throws `AdminProblem` when the daemon does not answer.
    private func attempt(_ method: String, _ path: String, body: Data?) throws -> (Int, Data) {
        var loadError = [CChar](repeating: 0, count: 256)
        guard dossier_curl_load(&loadError, loadError.count) == 0 else {
            throw AdminProblem(
                message: CtlText.curlMissing(String(decoding: loadError.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        guard let easy = dossier_dyn_easy_init() else { throw AdminProblem(message: CtlText.curlFailed) }
        defer { dossier_dyn_easy_cleanup(easy) }
        let sink = ResponseSink()
        let context = Unmanaged.passUnretained(sink).toOpaque()
        _ = dossier_dyn_setopt_str(easy, CURLOPT_UNIX_SOCKET_PATH, socket)
        _ = dossier_dyn_setopt_str(easy, CURLOPT_URL, "http://dossierd\(path)")
        _ = dossier_dyn_setopt_str(easy, CURLOPT_CUSTOMREQUEST, method)
        _ = dossier_dyn_setopt_long(easy, CURLOPT_NOSIGNAL, 1)
        _ = dossier_dyn_setopt_write_cb(easy, collectBody)
        _ = dossier_dyn_setopt_ptr(easy, CURLOPT_WRITEDATA, context)
        var headers: UnsafeMutablePointer<curl_slist>?
        defer { dossier_dyn_slist_free_all(headers) }
        let payload = [CChar]((body ?? Data()).map { CChar(bitPattern: $0) })
        if body != nil {
            headers = dossier_dyn_slist_append(headers, "Content-Type: application/json")
            _ = dossier_dyn_setopt_ptr(easy, CURLOPT_HTTPHEADER, headers)
            _ = dossier_dyn_setopt_long(easy, CURLOPT_POSTFIELDSIZE, payload.count)
        }
        let code = payload.withUnsafeBufferPointer { buffer -> CURLcode in
            if body != nil {
                _ = dossier_dyn_setopt_ptr(easy, CURLOPT_POSTFIELDS, buffer.baseAddress)
            }
            return dossier_dyn_easy_perform(easy)
        }
        guard code == CURLE_OK else {
            throw AdminProblem(message: CtlText.notAnswering(socket: socket, reason: String(cString: dossier_dyn_easy_strerror(code))))
        }
        var status = 0
        _ = dossier_dyn_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        return (status, sink.data)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()
}

/// Accumulates an answer body for the write callback.
private final class ResponseSink {
    var data = Data()
}

private let collectBody: curl_write_callback = { bytes, size, count, context in
    guard let bytes, let context else { return 0 }
    let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
    sink.data.append(UnsafeRawPointer(bytes).assumingMemoryBound(to: UInt8.self), count: size * count)
    return size * count
}

extension AdminProtocol.Failure {
    /// The error in the operator's language (an older daemon answers in English only).
    var text: String { Bilingual(error, errorZh ?? error).description }
}
