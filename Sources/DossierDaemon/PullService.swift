import DossierArchive
import DossierInbox
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle

/// For peers that hold archives for us (`poll = true`): asks each for what it holds, downloads
/// them (resuming a partial download), verifies and stores them through the inbox exactly as a
/// push would be, and sends back our signed receipt.
final class PullService: Service, Sendable {
    private let authority: Authority

    init(authority: Authority) { self.authority = authority }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            for peer in authority.config.peers where peer.poll {
                await pullAll(from: peer)
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.authority.config.pullInterval)) }
        }
    }

    private func pullAll(from peer: DaemonConfig.Peer) async {
        var cursor: String?
        do {
            repeat {
                let page = try await authority.operations.list(baseURL: peer.url, peer: peer.identity, after: cursor, limit: 100)
                for held in page.archives where !Task.isShuttingDownGracefully {
                    try await pull(held, from: peer)
                }
                cursor = page.next
            } while cursor != nil && !Task.isShuttingDownGracefully
        } catch {
            authority.logger.warning("pull failed", metadata: ["peer": "\(peer.code)", "error": "\(error)"])
            authority.errors.record(id: nil, peer: peer.code, error: "pull: \(error)")
        }
    }

    private func pull(_ held: PeerProtocol.HeldArchive, from peer: DaemonConfig.Peer) async throws {
        guard ArchiveID.isSafe(held.id) else { return }
        let partial = authority.layout.pulls.appendingPathComponent("\(held.id).part")
        var st = stat()
        if stat(partial.path, &st) != 0 || UInt64(st.st_size) < held.size {
            try await authority.operations.download(baseURL: peer.url, peer: peer.identity, id: held.id, to: partial.path)
        }
        let (inbox, path) = (authority.inbox, partial.path)
        let outcome = try await authority.pool.run {
            let (size, digest) = try SHA256.file(path)
            return try inbox.receive(ReceivedFile(path: path, size: size, digest: digest), id: held.id, caller: peer.code)
        }
        let signed: [UInt8]
        switch outcome {
        case let .accepted(receipt, _), let .rejected(receipt, _, _):
            signed = receipt
        case .busy:
            return
        case let .unavailable(detail):
            // The download was dropped with the verdict; it is fetched and judged again at the next pull.
            authority.errors.record(id: held.id, peer: peer.code, error: "pulled archive not judged yet: \(detail)")
            return
        case .conflict, .forbidden, .idMismatch:
            try? FileManager.default.removeItem(at: partial)
            authority.errors.record(id: held.id, peer: peer.code, error: "pulled archive refused: \(outcome)")
            return
        }
        try await authority.operations.acknowledge(baseURL: peer.url, peer: peer.identity, id: held.id, signedReceipt: signed)
        authority.logger.info("archive pulled", metadata: ["id": "\(held.id)", "peer": "\(peer.code)", "bytes": "\(held.size)"])
    }
}
