import DossierAdmin
import DossierArchive
import DossierModel
import DossierOutbox
import DossierText
import DossierTransport
import Foundation
import Hummingbird
import NIOCore
import Prometheus

/// The operators' API (`dossierctl`): HTTP + JSON on a unix socket, mode 0660, so access is
/// the file system's: root and the daemon's group. Paths in `AdminProtocol`. Optionally the
/// Prometheus metrics also on a loopback TCP port.
struct AdminService {
    let authority: Authority
    let registry: PrometheusCollectorRegistry

    /// The admin application on the unix socket (a `Service`).
    func application() -> some ApplicationProtocol {
        let socket = authority.config.adminSocket
        // A socket file left by a crashed daemon would make bind fail. By now this process holds
        // the journal's exclusive lock, so no other dossierd runs on this state and removing the
        // stale file is safe (one socket path per state directory, as the example config has it).
        unlink(socket)
        return Application(
            router: router(),
            configuration: ApplicationConfiguration(address: .unixDomainSocket(path: socket), serverName: "dossierd-admin"),
            onServerRunning: { _ in chmod(socket, 0o660) },
            logger: authority.logger)
    }

    /// Metrics alone on a loopback TCP port (`admin.metrics_listen`), sampled on every scrape
    /// like the socket's; logs `metrics listening port=…` once bound (port 0 picks one).
    func metricsApplication(host: String, port: Int) -> some ApplicationProtocol {
        let router = Router()
        let (authority, registry) = (authority, registry)
        router.get("metrics") { _, _ in
            await authority.metrics.sample(authority)
            return Self.metrics(registry)
        }
        return Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                authority.logger.info("metrics listening", metadata: ["host": "\(host)", "port": "\(channel.localAddress?.port ?? port)"])
            },
            logger: authority.logger)
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router()
        let authority = authority
        let registry = registry
        router.get("status") { _, _ in try Self.json(await Self.status(authority)) }
        router.get("queue") { request, _ in
            let state = request.uri.queryParameters.get("state")
            let peer = request.uri.queryParameters.get("peer")
            if let state, OutboxState.named(state) == nil {
                return try Self.failure(
                    .badRequest,
                    DaemonText.Admin.unknownState(state, known: OutboxState.allCases.map(\.description).joined(separator: ", ")))
            }
            let entries = await Self.allEntries(authority).filter {
                (state == nil || $0.state.description == state) && (peer == nil || $0.destination == peer)
            }
            let config = authority.config
            return try Self.json(entries.map { Self.line($0, config: config) })
        }
        router.get("entries/:id") { _, context in
            let id = try context.parameters.require("id")
            var detail: AdminProtocol.EntryDetail
            if let entry = await authority.outbox.entry(id: id) {
                detail = Self.detail(entry, config: authority.config, layout: authority.layout, trust: authority.operations.trust.store)
            } else if let kept = try? await authority.cases.history(authority)[id] {
                // Compacted out of the journal: the history keeps it for `[sla] history_days`.
                detail = kept.detail(layout: authority.layout, trust: authority.operations.trust.store)
            } else {
                return try Self.failure(.notFound, DaemonText.Admin.noArchive(id))
            }
            detail.completion = Self.completion(authority, id: id)
            return try Self.json(detail)
        }
        router.post("entries/:id/retry") { _, context in
            let id = try context.parameters.require("id")
            do { try await authority.outbox.requeue(id: id) } catch { return try Self.failure(.conflict, operatorText(error)) }
            authority.pushWake.signal()
            return try Self.json(AdminProtocol.Retried(ids: [id]))
        }
        router.post("entries/:id/cancel") { _, context in
            let id = try context.parameters.require("id")
            do { try await authority.outbox.cancel(id: id) } catch { return try Self.failure(.conflict, operatorText(error)) }
            return try Self.json(AdminProtocol.Retried(ids: [id]))
        }
        router.post("retry-dead") { _, _ in
            let ids = try await authority.outbox.requeueAllDead().map(\.id)
            authority.pushWake.signal()
            return try Self.json(AdminProtocol.Retried(ids: ids))
        }
        router.get("cases") { request, _ in
            let open = request.uri.queryParameters.get("open") == "1"
            let peer = request.uri.queryParameters.get("peer").map { String($0) }
            do {
                let cases = try await authority.cases.cases(authority)
                return try Self.json(cases.filter { (!open || $0.state == "open") && (peer == nil || $0.peer == peer) })
            } catch {
                return try Self.failure(.internalServerError, DaemonText.Admin.casesUnreadable("\(error)"))
            }
        }
        router.get("peers") { _, _ in try Self.json(await Self.peers(authority)) }
        router.get("directory") { _, _ in try await Self.directory(authority) }
        router.get("progress") { request, _ in
            guard let directory = request.uri.queryParameters.get("directory"),
                let now = authority.packingProgress.progress(dossier: String(directory))
            else {
                return try Self.failure(.notFound, Bilingual("not packing that folder now", "当前未在封装该文件夹"))
            }
            return try Self.json(AdminProtocol.Progress(packed: now.packed, total: now.total))
        }
        router.post("submit") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let submit = try? JSONDecoder().decode(AdminProtocol.Submit.self, from: Data(buffer: body)) else {
                return try Self.failure(.badRequest, DaemonText.Admin.expectedBody("{\"directory\": …, \"destination\": …}"))
            }
            do {
                let packed = try await authority.submit(
                    dossierDirectory: URL(fileURLWithPath: submit.directory), destination: submit.destination)
                return try Self.json(
                    AdminProtocol.Submitted(
                        id: packed.id, size: packed.size, sha256: packed.sha256, alreadyQueued: packed.alreadyQueued,
                        warnings: packed.warnings.isEmpty ? nil : packed.warnings.map(Self.problemLine)))
            } catch let refusal as DossierPackager.Refusal {
                if case let .problems(problems) = refusal {
                    return try Self.failure(
                        .unprocessableContent,
                        DaemonText.Admin.notTransferable(directory: submit.directory, destination: submit.destination),
                        problems: problems.map(Self.problemLine))
                }
                return try Self.failure(.unprocessableContent, operatorText(refusal))
            } catch let error as SubmitError {
                return try Self.failure(error.isRetryable ? .serviceUnavailable : .badRequest, operatorText(error))
            } catch {
                return try Self.failure(.internalServerError, DaemonText.Admin.submitFailed(submit.directory, operatorText(error)))
            }
        }
        router.post("request") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let ask = try? JSONDecoder().decode(AdminProtocol.RequestArchive.self, from: Data(buffer: body)) else {
                return try Self.failure(.badRequest, DaemonText.Admin.expectedBody("{\"peer\": …, \"vin\": …, \"plate\": …}"))
            }
            guard let peer = authority.config.peer(ask.peer) else {
                return try Self.failure(.badRequest, operatorText(SubmitError.unknownPeer(ask.peer)))
            }
            let asked = Date()
            do {
                let accepted = try await authority.operations.requestArchive(
                    baseURL: peer.url, peer: peer.identity, PeerProtocol.ArchiveRequest(vin: ask.vin, plate: ask.plate))
                authority.logger.info(
                    "archive requested from peer",
                    metadata: ["peer": "\(peer.code)", "vin": "\(ask.vin)", "request": "\(accepted.requestId)"])
                if let id = accepted.archiveId {
                    await authority.noteRequest(id: id, .init(vin: ask.vin, peer: peer.code, direction: "in", at: asked))
                }
                return try Self.json(AdminProtocol.RequestAccepted(requestId: accepted.requestId, archiveId: accepted.archiveId))
            } catch let failure as PeerOperations.Failure {
                return try Self.failure(
                    failure.status == 404 ? .notFound : .unprocessableContent, DaemonText.Admin.peerAnswered(peer.code, "\(failure)"))
            } catch {
                return try Self.failure(.badGateway, DaemonText.Admin.peerFailed(peer.code, "\(error)"))
            }
        }
        Self.completionRoutes(router, authority)
        router.get("inbox") { request, _ in
            let since = request.uri.queryParameters.get("since").flatMap { try? Date($0, strategy: .iso8601) } ?? .distantPast
            return try Self.json(
                authority.inbox.entries(since: since).map {
                    AdminProtocol.InboxLine(
                        id: $0.archiveId, origin: $0.sender, status: $0.status.rawValue, digest: $0.digest,
                        size: $0.size, receivedAt: $0.receivedAt)
                })
        }
        router.get("report") { request, _ in
            guard let from = request.uri.queryParameters.get("from"), let to = request.uri.queryParameters.get("to") else {
                return try Self.failure(
                    .badRequest, Bilingual("expected from=YYYY-MM-DD&to=YYYY-MM-DD", "需要 from=YYYY-MM-DD&to=YYYY-MM-DD"))
            }
            let period: ActivityReport
            do { period = try ActivityReport(from: String(from), to: String(to)) } catch {
                return try Self.failure(.badRequest, operatorText(error))
            }
            // The cases give the completions and the deadlines; without them the report would be wrong.
            let cases: [AdminProtocol.Case]
            do { cases = try await authority.cases.cases(authority) } catch {
                return try Self.failure(.internalServerError, DaemonText.Admin.casesUnreadable("\(error)"))
            }
            return try Self.json(try await Self.report(authority, period: period, cases: cases))
        }
        router.get("metrics") { _, _ in
            await authority.metrics.sample(authority)
            return Self.metrics(registry)
        }
        return router
    }

    // MARK: answers

    static func status(_ authority: Authority) async -> AdminProtocol.Status {
        let sla = authority.config.sla
        let overdue = (try? await authority.cases.cases(authority)).flatMap { CaseBook.overdueWarning($0, days: sla.transferDays) }
        let warnings =
            revocationWarnings(authority) + DirectoryWarnings.warnings(authority, held: await heldCount(authority))
            + [overdue].compactMap { $0 } + authority.credit.warnings(authority.config.credit)
        let config = authority.config
        let summary = await authority.outbox.summary()
        let counts = authority.inbox.counts()
        return AdminProtocol.Status(
            version: ArchivePacker.softwareAgent, upSince: authority.startedAt, authority: config.authorityCode,
            authorityName: config.authorityName, listen: authority.listen,
            queue: Dictionary(uniqueKeysWithValues: OutboxState.allCases.map { ($0.description, summary.byState[$0] ?? 0) }),
            queueByPeer: summary.byDestination.mapValues { states in
                Dictionary(uniqueKeysWithValues: states.map { ($0.key.description, $0.value) })
            },
            oldestWaitingSeconds: summary.oldestWaitingAge, peers: await peers(authority),
            inbox: AdminProtocol.InboxCounts(accepted: counts.accepted, rejected: counts.rejected),
            lastErrors: authority.errors.snapshot, warnings: warnings.map(\.en), warningsZh: warnings.map(\.zh),
            completionsUndelivered: authority.completions.undelivered)
    }

    /// Archives waiting for a destination that is suspended or no longer a peer.
    static func heldCount(_ authority: Authority) async -> Int {
        let config = authority.config
        var count = 0
        for state in [OutboxState.queued, .deferred] { count += await authority.outbox.entries(in: state).filter(config.holds).count }
        return count
    }

    /// CRLs past their nextUpdate (revocation then cannot be judged: callers and archives are
    /// answered "try later"), and CRL URLs whose last fetch failed.
    static func revocationWarnings(_ authority: Authority, now: Date = Date()) -> [Bilingual] {
        let stale = authority.operations.trust.store.revocationLists.filter { $0.isStale(at: now) }.map { list in
            let next = list.nextUpdate.map { $0.formatted(.iso8601) }
            return Bilingual(
                "CRL of \(list.issuer) is past its nextUpdate (\(next ?? "none given")): "
                    + "revocation cannot be checked, peers are answered \"try later\"",
                "\(list.issuer) 的 CRL 已过 nextUpdate（\(next ?? "未给出")）：无法判断吊销状态，对端得到“稍后重试”")
        }
        let failing = authority.config.crlURLs.compactMap { url -> Bilingual? in
            guard let failure = authority.crlFetches[url].failing else { return nil }
            let kept = FileManager.default.fileExists(atPath: authority.layout.fetchedCRL(url).path)
            let at = failure.at.formatted(.iso8601)
            return Bilingual(
                "CRL fetch from \(url) failed at \(at): \(failure.why); "
                    + (kept ? "the last good copy is kept" : "no copy yet, revocation cannot be checked"),
                "\(at) 从 \(url) 下载 CRL 失败：\(failure.why)；" + (kept ? "继续使用最后一份有效 CRL" : "尚无 CRL，无法判断吊销状态"))
        }
        return stale + failing
    }

    static func peers(_ authority: Authority) async -> [AdminProtocol.PeerStatus] {
        let summary = await authority.outbox.summary()
        var lastReceived: [String: Date] = [:]
        for entry in authority.inbox.entries() where entry.status == .accepted {
            lastReceived[entry.sender] = max(lastReceived[entry.sender] ?? entry.receivedAt, entry.receivedAt)
        }
        let config = authority.config
        return config.peers.map { peer in
            let states = summary.byDestination[peer.code] ?? [:]
            return AdminProtocol.PeerStatus(
                code: peer.code, name: peer.name, url: peer.url, mode: peer.mode.rawValue,
                circuitOpen: summary.openCircuits.contains(peer.code), inFlight: states[.sending] ?? 0,
                queued: (states[.queued] ?? 0) + (states[.deferred] ?? 0), lastSuccess: summary.lastDelivered[peer.code],
                lastReceived: lastReceived[peer.code], lastError: authority.errors.last(peer: peer.code),
                source: config.source(of: peer.code).rawValue)
        }
    }

    /// The period's report, built on the blocking pool (it reads every kept receipt), with `cases`
    /// (`CaseBook.cases`) giving the completions and the cases past the SLA.
    static func report(_ authority: Authority, period: ActivityReport, cases: [AdminProtocol.Case]) async throws -> AdminProtocol.Report {
        let entries = Dictionary(await allEntries(authority).map { ($0.id, $0) }) { first, _ in first }
        let (config, layout, inbox) = (authority.config, authority.layout, authority.inbox.entries())
        return try await authority.pool.run {
            period.build(
                authority: config.authorityCode, name: config.authorityName, layout: layout, outboxEntries: entries, inbox: inbox,
                cases: cases, slaDays: config.sla.transferDays)
        }
    }

    static func allEntries(_ authority: Authority) async -> [OutboxEntry] {
        var all: [OutboxEntry] = []
        for state in OutboxState.allCases { all += await authority.outbox.entries(in: state) }
        return all.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    static func line(_ entry: OutboxEntry, config: DaemonConfig) -> AdminProtocol.QueueLine {
        AdminProtocol.QueueLine(
            id: entry.id, destination: entry.destination, state: entry.state.description, size: entry.size,
            createdAt: entry.createdAt, attempts: entry.attemptCount, nextAttemptAt: entry.nextAttemptAt,
            lastError: entry.failures.last?.outcome.map { "\($0)" }, held: config.holds(entry) ? true : nil)
    }

    static func detail(_ entry: OutboxEntry, config: DaemonConfig, layout: StateLayout, trust: TrustStore) -> AdminProtocol.EntryDetail {
        let receipt = receiptText(entry.receiptPath, layout: layout, trust: trust)
        return AdminProtocol.EntryDetail(
            entry: line(entry, config: config), digest: entry.digest, archivePath: entry.archivePath,
            history: entry.history.map {
                AdminProtocol.Transition(at: $0.at, state: $0.state.description, outcome: $0.outcome.map { "\($0)" })
            },
            receiptPath: entry.receiptPath.map { layout.resolve($0).path }, receipt: receipt)
    }

    /// The content of a kept receipt, when it verifies against `trust`; nil otherwise.
    static func receiptText(_ recorded: String?, layout: StateLayout, trust: TrustStore) -> String? {
        recorded.flatMap { try? Data(contentsOf: layout.resolve($0)) }
            .flatMap { SignatureCheck.verifyAttached(signature: [UInt8]($0), trust: trust).content }
            .flatMap { String(validating: $0, as: UTF8.self) }
    }

    static func metrics(_ registry: PrometheusCollectorRegistry) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    /// One finding as an answer line: code, field, and both languages.
    static func problemLine(_ problem: Problem) -> String {
        "\(problem.code)\(problem.field.map { " (\($0))" } ?? ""): \(problem.message) / \(problem.messageZh)"
    }

    static func failure(_ status: HTTPResponse.Status, _ error: Bilingual, problems: [String]? = nil) throws -> Response {
        var response = try json(AdminProtocol.Failure(error: error.en, errorZh: error.zh, problems: problems))
        response.status = status
        return response
    }
}

extension OutboxState {
    static func named(_ name: String) -> OutboxState? { allCases.first { $0.description == name } }
}
