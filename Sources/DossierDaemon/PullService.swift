import DossierArchive
import DossierInbox
import DossierSystem
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle

/// For peers that hold archives for us (`poll = true`): asks each for what it holds, downloads
/// them (resuming a partial download), verifies and stores them through the inbox exactly as a
/// push would be (on the blocking pool), and sends back our signed receipt.
///
/// Nothing a peer says is trusted (docs/protocol.md): a download stops at the size the list gave
/// and at `limits.max_archive_size`; a list whose cursor does not advance, or that runs past
/// `limits.pull_max_pages` pages, ends that peer's round with an error. Peers are served one
/// page each in turn, so one that never stops listing cannot starve the others.
final class PullService: Service, Sendable {
    private let authority: Authority
    static let pageSize = 100

    init(authority: Authority) { self.authority = authority }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await pullRound()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(self.authority.config.pullInterval)) }
        }
    }

    /// Where one peer's listing stands within a round.
    private struct Listing {
        let peer: DaemonConfig.Peer
        var cursor: String?
        var pages = 0
        /// Cursors given so far: one given again means the list goes round in circles.
        var seen: Set<String> = []
    }

    /// Why a peer's round ended early.
    enum PullError: Error, CustomStringConvertible {
        case cursorStuck(String)
        case tooManyPages(Int)
        case tooLarge(id: String, listed: UInt64, limit: UInt64)
        case noRoom(id: String, needed: UInt64)

        var description: String {
            switch self {
            case let .cursorStuck(cursor): return "the list gave cursor \(cursor) again"
            case let .tooManyPages(pages): return "the list ran past \(pages) pages (limits.pull_max_pages)"
            case let .tooLarge(id, listed, limit):
                return "archive \(id) is listed as \(listed) bytes, over the limit of \(limit) (limits.max_archive_size)"
            case let .noRoom(id, needed):
                return "no room to download archive \(id) (\(needed) bytes more) above state.free_space_reserve; pulling waits"
            }
        }
    }

    /// How long a partial download is kept for resuming: one whose archive is no longer listed
    /// would otherwise stay for good.
    static let partialKeptFor: TimeInterval = 24 * 3600

    /// Removes partial downloads untouched for `partialKeptFor`.
    private func removeStalePartials() {
        let folder = authority.layout.pulls.path
        let cutoff = Date().addingTimeInterval(-Self.partialKeptFor).timeIntervalSince1970
        for name in (try? FileIO.list(folder)) ?? [] where name.hasSuffix(".part") {
            var st = stat()
            guard lstat("\(folder)/\(name)", &st) == 0, Double(st.st_mtim.tv_sec) < cutoff else { continue }
            unlink("\(folder)/\(name)")
        }
    }

    /// One round: a page of each pull peer in turn until every list is done.
    private func pullRound() async {
        removeStalePartials()
        var listings = authority.config.peers.filter(\.poll).map { Listing(peer: $0) }
        while !listings.isEmpty && !Task.isShuttingDownGracefully && !Task.isCancelled {
            var unfinished: [Listing] = []
            for var listing in listings {
                do {
                    if try await pullPage(&listing) { unfinished.append(listing) }
                } catch {
                    authority.logger.warning("pull failed", metadata: ["peer": "\(listing.peer.code)", "error": "\(error)"])
                    authority.errors.record(id: nil, peer: listing.peer.code, error: "pull: \(error)")
                }
            }
            listings = unfinished
        }
    }

    /// Pulls the archives of the next page; true when the list goes on.
    private func pullPage(_ listing: inout Listing) async throws -> Bool {
        let peer = listing.peer
        let page = try await authority.operations.list(baseURL: peer.url, peer: peer.identity, after: listing.cursor, limit: Self.pageSize)
        listing.pages += 1
        // One archive that cannot be pulled (listed too large, a broken download) is reported
        // and skipped: it must not keep the archives listed after it from being fetched. No
        // room ends the peer's round instead, reported once rather than for every archive listed.
        for held in page.archives.prefix(Self.pageSize) where !Task.isShuttingDownGracefully {
            do {
                try await pull(held, from: peer)
            } catch {
                if case .noRoom? = error as? PullError { throw error }
                authority.logger.warning("pull failed", metadata: ["peer": "\(peer.code)", "id": "\(held.id)", "error": "\(error)"])
                authority.errors.record(id: held.id, peer: peer.code, error: "pull: \(error)")
            }
        }
        guard let next = page.next else { return false }
        guard listing.seen.insert(next).inserted else { throw PullError.cursorStuck(next) }
        guard listing.pages < authority.config.pullMaxPages else { throw PullError.tooManyPages(authority.config.pullMaxPages) }
        listing.cursor = next
        return true
    }

    private func pull(_ held: PeerProtocol.HeldArchive, from peer: DaemonConfig.Peer) async throws {
        guard ArchiveID.isSafe(held.id) else { return }
        let limit = authority.config.limits.maxArchiveBytes
        guard held.size <= limit else { throw PullError.tooLarge(id: held.id, listed: held.size, limit: limit) }
        let partial = authority.layout.pulls.appendingPathComponent("\(held.id).part")
        var st = stat()
        let kept = stat(partial.path, &st) == 0
        try await download(held, from: peer, to: partial, have: kept ? UInt64(max(0, st.st_size)) : 0)
        let path = partial.path
        var (size, digest) = try await authority.pool.run { try SHA256.file(path) }
        if kept && digest != held.digest {
            // What an earlier round kept is not the archive listed (a crash can leave zeros in a
            // file whose size it had extended): fetched again whole, once, before it is judged,
            // so that a local fault never becomes a signed rejection of a genuine archive.
            try? FileManager.default.removeItem(at: partial)
            try await download(held, from: peer, to: partial, have: 0)
            (size, digest) = try await authority.pool.run { try SHA256.file(path) }
        }
        let (inbox, received) = (authority.inbox, ReceivedFile(path: path, size: size, digest: digest))
        let outcome = try await authority.pool.run { try inbox.receive(received, id: held.id, caller: peer.code) }
        let signed: [UInt8]
        switch outcome {
        case let .accepted(receipt, _), let .rejected(receipt, _, _):
            signed = receipt
        case .busy, .unavailable:
            return
        case .conflict, .forbidden, .idMismatch:
            try? FileManager.default.removeItem(at: partial)
            authority.errors.record(id: held.id, peer: peer.code, error: "pulled archive refused: \(outcome)")
            return
        }
        try await authority.operations.acknowledge(baseURL: peer.url, peer: peer.identity, id: held.id, signedReceipt: signed)
        authority.logger.info("archive pulled", metadata: ["id": "\(held.id)", "peer": "\(peer.code)", "bytes": "\(held.size)"])
    }

    /// Downloads the rest of `held` into `partial`, which holds `have` bytes of it (none when
    /// `have` is 0), unless it is whole already.
    /// - Throws: `PullError.noRoom` when the rest would cross the free-space reserve; the
    ///   transport's error (a response larger than listed leaving nothing of it behind).
    private func download(_ held: PeerProtocol.HeldArchive, from peer: DaemonConfig.Peer, to partial: URL, have: UInt64) async throws {
        guard have < held.size else { return }
        // As a push is refused 503 `no-space` before its body is read: what a peer lists
        // must not fill the disk the journal, the receipts and every other peer need.
        guard try authority.inbox.hasRoom(for: held.size - have) else { throw PullError.noRoom(id: held.id, needed: held.size - have) }
        do {
            try await authority.operations.download(
                baseURL: peer.url, peer: peer.identity, id: held.id, to: partial.path, limit: held.size)
        } catch {
            // More bytes than listed: what arrived is not the archive; nothing of it is kept.
            if case TransportError.responseTooLarge = error { try? FileManager.default.removeItem(at: partial) }
            throw error
        }
    }
}
