import CCurl
import DossierSystem
import Foundation
import Synchronization

/// Runs one libcurl multi handle on a dedicated thread: every outbound request of the process
/// goes through it, so connections (and TLS sessions) to each peer are kept alive and reused,
/// and HTTP/2 streams are multiplexed when the peer offers it.
///
/// Thread-safety: `submit` and `shutdown` may be called from any thread; everything else runs
/// on the engine thread. libcurl handles never leave that thread.
final class CurlEngine: @unchecked Sendable {
    // Safe: what callers share with the engine thread is in `queue`, a Mutex; `multi` is used only
    // on the engine thread, except curl_multi_wakeup, which libcurl documents as thread-safe.
    private struct Job {
        var id: UInt64
        var request: PeerRequest
        var continuation: CheckedContinuation<PeerResponse, any Error>
    }

    /// Requests handed over and not yet taken by the engine thread, cancellations, shutdown.
    private struct Queue {
        var incoming: [Job] = []
        var cancelled: Set<UInt64> = []
        var stopping = false
        var nextID: UInt64 = 0
    }

    private let queue = Mutex(Queue())
    private let multi: UnsafeMutableRawPointer
    private let tls: PeerTLS
    private let options: PeerClient.Options
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts the engine thread.
    /// - Throws: `.system` (`create thread`) when there is none to be had: without it no
    ///   request would ever be answered.
    init(tls: PeerTLS, options: PeerClient.Options) throws(TransportError) {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
        // Only allocation failure makes curl_multi_init return NULL.
        guard let multi = curl_multi_init() else { fatalError("libcurl could not allocate a multi handle") }
        self.multi = multi
        self.tls = tls
        self.options = options
        _ = dossier_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, options.maxConnectionsPerHost)
        _ = dossier_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
        do throws(SystemError) { try options.threads.start(named: "dossier-curl") { [self] in loop() } } catch {
            curl_multi_cleanup(multi)
            throw .system(error)
        }
    }

    /// Queues a request and wakes the engine. Returns the job id, for `cancel`.
    func submit(_ request: PeerRequest, continuation: CheckedContinuation<PeerResponse, any Error>) -> UInt64 {
        let accepted: UInt64? = queue.withLock { queue in
            guard !queue.stopping else { return nil }
            queue.nextID += 1
            queue.incoming.append(Job(id: queue.nextID, request: request, continuation: continuation))
            return queue.nextID
        }
        guard let accepted else {
            continuation.resume(throwing: TransportError.cancelled(url: request.url))
            return 0
        }
        curl_multi_wakeup(multi)
        return accepted
    }

    /// Abandons a request: it ends with `TransportError.cancelled`.
    func cancel(_ id: UInt64) {
        queue.withLock { _ = $0.cancelled.insert(id) }
        curl_multi_wakeup(multi)
    }

    /// Ends every request in flight with `cancelled` and stops the thread; waits for it.
    func shutdown() {
        let first = queue.withLock { queue -> Bool in
            defer { queue.stopping = true }
            return !queue.stopping
        }
        guard first else { return }
        curl_multi_wakeup(multi)
        stopped.wait()
    }

    private func loop() {
        var active: [UnsafeMutableRawPointer: (id: UInt64, transfer: CurlTransfer)] = [:]
        var running: Int32 = 0
        while true {
            let (jobs, cancels, stop) = queue.withLock { queue -> ([Job], Set<UInt64>, Bool) in
                defer { queue.incoming = []; queue.cancelled = [] }
                return (queue.incoming, queue.cancelled, queue.stopping)
            }
            for job in jobs { start(job, into: &active) }
            for (easy, entry) in active where stop || cancels.contains(entry.id) {
                remove(easy, from: &active, result: .failure(TransportError.cancelled(url: entry.transfer.request.url)))
            }
            if stop { break }
            curl_multi_perform(multi, &running)
            var left: Int32 = 0
            while let message = curl_multi_info_read(multi, &left) {
                guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle,
                    let entry = active[easy]
                else { continue }
                let code = message.pointee.data.result
                remove(easy, from: &active, result: outcome(entry.transfer, code: code))
            }
            curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        curl_multi_cleanup(multi)
        stopped.signal()
    }

    private func start(_ job: Job, into active: inout [UnsafeMutableRawPointer: (id: UInt64, transfer: CurlTransfer)]) {
        if queue.withLock({ $0.cancelled.contains(job.id) }) {
            job.continuation.resume(throwing: TransportError.cancelled(url: job.request.url))
            return
        }
        guard let easy = curl_easy_init() else {
            job.continuation.resume(throwing: TransportError.setup(url: job.request.url, detail: "out of memory"))
            return
        }
        let transfer = CurlTransfer(request: job.request, easy: easy, continuation: job.continuation)
        do {
            try transfer.configure(tls: tls, options: options)
        } catch {
            curl_easy_cleanup(easy)
            transfer.finish(.failure(error))
            return
        }
        active[easy] = (job.id, transfer)
        curl_multi_add_handle(multi, easy)
    }

    private func remove(
        _ easy: UnsafeMutableRawPointer, from active: inout [UnsafeMutableRawPointer: (id: UInt64, transfer: CurlTransfer)],
        result: Result<PeerResponse, any Error>
    ) {
        guard let entry = active.removeValue(forKey: easy) else { return }
        curl_multi_remove_handle(multi, easy)
        entry.transfer.finish(result)
        curl_easy_cleanup(easy)
    }

    /// Turns a finished transfer into an answer or a classified error.
    private func outcome(_ transfer: CurlTransfer, code: CURLcode) -> Result<PeerResponse, any Error> {
        let url = transfer.request.url
        if code == CURLE_OK {
            var status = 0
            _ = dossier_curl_easy_getinfo_long(transfer.easy, CURLINFO_RESPONSE_CODE, &status)
            var up: curl_off_t = 0
            var down: curl_off_t = 0
            _ = dossier_curl_easy_getinfo_off(transfer.easy, CURLINFO_SIZE_UPLOAD_T, &up)
            _ = dossier_curl_easy_getinfo_off(transfer.easy, CURLINFO_SIZE_DOWNLOAD_T, &down)
            return .success(
                PeerResponse(
                    status: status, headers: transfer.headers, body: transfer.body,
                    uploaded: UInt64(max(0, up)), downloaded: UInt64(max(0, down))))
        }
        if let local = transfer.localFailure { return .failure(local) }
        if let reason = transfer.chainWithdrawn {
            return .failure(TransportError.tls(url: url, detail: "the server's certificate no longer verifies: \(reason)"))
        }
        if let presented = transfer.identityMismatch {
            return .failure(TransportError.peerIdentity(url: url, expected: transfer.request.peer.code, presented: presented))
        }
        let detail =
            String(cString: transfer.errorBuffer).isEmpty
            ? String(cString: curl_easy_strerror(code)) : String(cString: transfer.errorBuffer)
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(TransportError.dns(url: url, detail: detail))
        case CURLE_COULDNT_CONNECT:
            return .failure(TransportError.connect(url: url, detail: detail))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(TransportError.timeout(url: url, detail: detail))
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_CLIENTCERT:
            return .failure(TransportError.tls(url: url, detail: detail))
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .failure(TransportError.setup(url: url, detail: detail))
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR:
            return .failure(lostAfterHandshake(transfer, url: url, detail: detail))
        default:
            return .failure(TransportError.connectionLost(url: url, detail: detail))
        }
    }

    /// A send or receive that failed. Under TLS 1.3 a server judges the client's certificate
    /// after the client has finished its handshake, so a peer refusing this authority's
    /// certificate (revoked, CA not trusted) is heard of only at the next read, as the peer's
    /// alert, or, when the body was still being written as the server closed, as a broken
    /// connection. The alert is a TLS failure; a new connection lost before any answer says
    /// what it may be, so that the operator looks at the certificate and not at the network.
    private func lostAfterHandshake(_ transfer: CurlTransfer, url: String, detail: String) -> TransportError {
        if detail.contains(" alert ") { return .tls(url: url, detail: "the peer ended the connection: \(detail)") }
        var connects = 0
        var headerBytes = 0
        _ = dossier_curl_easy_getinfo_long(transfer.easy, CURLINFO_NUM_CONNECTS, &connects)
        _ = dossier_curl_easy_getinfo_long(transfer.easy, CURLINFO_HEADER_SIZE, &headerBytes)
        guard connects > 0, headerBytes == 0 else { return .connectionLost(url: url, detail: detail) }
        return .connectionLost(
            url: url,
            detail:
                "\(detail) (a new connection, closed before any answer: how a peer refusing this authority's certificate shows under TLS 1.3)"
        )
    }
}
