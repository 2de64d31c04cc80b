import DossierArchive
import DossierOutbox
import DossierText
import Foundation

extension DaemonConfig {
    /// `[directory]`: where the signed authority directory is fetched, who must have signed it,
    /// and how often it is fetched again (docs/directory.md).
    public struct DirectorySettings: Sendable, Equatable {
        /// `https://` (or `http://`) URL of the signed directory.
        public var url: String
        /// CA files (PEM) of the directory operator; the CRLs in force apply as well.
        public var trustFiles: [String]
        /// Seconds between conditional fetches.
        public var refresh: TimeInterval

        /// Reads `[directory]`, nil when the table is absent.
        /// - Throws: `ConfigError` naming the key.
        static func parse(_ table: TOMLReader?, resolve: (String) -> String) throws(ConfigError) -> DirectorySettings? {
            guard var table else { return nil }
            let url = try table.requiredString("url")
            guard url.hasPrefix("https://") || url.hasPrefix("http://"), URL(string: url)?.host != nil else {
                throw table.error("url", DaemonText.Config.notURL(url))
            }
            let trust = try table.strings("trust") ?? []
            guard !trust.isEmpty else { throw table.error("trust", DaemonText.Config.missingDirectoryCA) }
            let refresh = try table.duration("refresh") ?? 3600
            guard refresh >= 1 else { throw table.error("refresh", DaemonText.Config.atLeastOneSecond) }
            try table.rejectUnknownKeys()
            return DirectorySettings(url: url, trustFiles: trust.map(resolve), refresh: refresh)
        }
    }

    /// Where a peer in force comes from, as `dossierctl peers` shows it.
    public enum PeerSource: String, Sendable, Codable { case directory, local, both }

    /// Where peer `code` comes from (`local` for a config without a directory).
    public func source(of code: String) -> PeerSource { peerSources[code] ?? .local }

    /// Whether `entry` is held: waiting (queued or deferred) for a destination that is suspended
    /// or no longer a peer. The push loop does not claim it, so no attempt is counted and it
    /// never goes dead; it is sent once its destination is a peer again.
    public func holds(_ entry: OutboxEntry) -> Bool {
        (entry.state == .queued || entry.state == .deferred) && (suspended.contains(entry.destination) || peer(entry.destination) == nil)
    }

    /// This config with the peers of `directory` (nil: none in force): its active entries not
    /// this authority, merged with `localPeers` — a local entry keeps its URL, mode, limits and
    /// polling, and adds its pins to the directory's. Suspended entries are left out of the peers
    /// and listed in `suspended`, even when a local entry names them.
    public func applying(directory: AuthorityDirectory?) -> DaemonConfig {
        var merged = self
        let local = Dictionary(localPeers.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        var peers: [Peer] = []
        var sources: [String: PeerSource] = [:]
        var suspended: Set<String> = []
        var listed: Set<String> = []
        for entry in directory?.authorities ?? [] where entry.code != authorityCode {
            listed.insert(entry.code)
            guard entry.status == .active else {
                suspended.insert(entry.code)
                continue
            }
            if var own = local[entry.code] {
                let added = entry.pins.filter { !own.spkiSHA256.contains($0) }
                own.spkiSHA256 += added
                peers.append(own)
                sources[entry.code] = .both
            } else {
                peers.append(Peer(directoryEntry: entry))
                sources[entry.code] = .directory
            }
        }
        for peer in localPeers where !listed.contains(peer.code) {
            peers.append(peer)
            sources[peer.code] = .local
        }
        merged.peers = peers
        merged.peerSources = sources
        merged.suspended = suspended
        return merged
    }
}

extension DaemonConfig.Peer {
    /// A peer as the directory describes it, with the defaults of a `[[peers]]` entry.
    init(directoryEntry entry: AuthorityDirectory.Entry) {
        let push = entry.modes.contains(.push)
        let mode: DaemonConfig.PeerMode = push && entry.modes.contains(.pull) ? .both : (push ? .push : .pull)
        self.init(code: entry.code, name: entry.name, url: entry.url, mode: mode, maxConcurrent: 4, poll: false, spkiSHA256: entry.pins)
    }
}
