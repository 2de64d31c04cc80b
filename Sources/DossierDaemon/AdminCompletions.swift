import DossierAdmin
import DossierText
import DossierTransport
import Foundation
import Hummingbird

extension AdminService {
    /// `POST /complete` (the destination's decision on an archive it received) and
    /// `GET /completions/{id}` (the notice kept on either side).
    static func completionRoutes(_ router: Router<BasicRequestContext>, _ authority: Authority) {
        router.post("complete") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 64 << 10)
            guard let ask = try? JSONDecoder().decode(AdminProtocol.Complete.self, from: Data(buffer: body)),
                let status = CompletionNotice.Status(rawValue: ask.status)
            else {
                return try Self.failure(
                    .badRequest,
                    DaemonText.Admin.expectedBody("{\"id\": …, \"status\": \"registered\"|\"refused\", \"plate\": …, \"reasons\": […]}"))
            }
            do {
                let (record, already) = try await authority.complete(id: ask.id, status: status, newPlate: ask.plate, reasons: ask.reasons)
                if !already {
                    authority.logger.info(
                        "completion queued", metadata: ["id": "\(ask.id)", "peer": "\(record.peer)", "status": "\(status.rawValue)"])
                }
                var line = Self.completionLine(record, role: "sent")
                line.alreadyCompleted = already
                return try Self.json(line)
            } catch let error as CompletionError {
                switch error {
                case .notReceived: return try Self.failure(.notFound, operatorText(error))
                case .conflict: return try Self.failure(.conflict, operatorText(error))
                case .badPlate: return try Self.failure(.badRequest, operatorText(error))
                case .signing, .storage: return try Self.failure(.internalServerError, operatorText(error))
                }
            }
        }
        router.get("completions/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let line = Self.completion(authority, id: id) else {
                // `show` asks here for an id the outbox does not hold: say both.
                let none = DaemonText.Admin.noArchive(id)
                return try Self.failure(.notFound, Bilingual(none.en + ", nor a completion notice of it", none.zh + "，也没有它的办结通知"))
            }
            return try Self.json(line)
        }
    }

    /// The completion notice of archive `id` kept here, sent or received.
    static func completion(_ authority: Authority, id: String) -> AdminProtocol.Completion? {
        if let sent = authority.completions.sent.record(id) { return completionLine(sent, role: "sent") }
        return authority.completions.received.record(id).map { completionLine($0, role: "received") }
    }

    static func completionLine(_ record: CompletionRecord, role: String) -> AdminProtocol.Completion {
        let notice = record.notice
        return AdminProtocol.Completion(
            archiveId: notice.archiveId, digest: notice.digest, role: role, peer: record.peer, status: notice.status.rawValue,
            registeredAt: notice.registeredAt, newPlate: notice.newPlate, reasons: notice.reasons, state: record.state.rawValue,
            attempts: record.attempts, nextAttemptAt: record.nextAttemptAt, lastError: record.lastError, doneAt: record.doneAt)
    }
}
