import DossierArchive
import DossierModel
import DossierOutbox
import DossierTransport
import DossierText
import Foundation

/// Everything `dossierd` is told by its TOML file (`Config/dossierd.toml` documents each key).
/// Relative paths are resolved against the config file's folder. A value type: reloading
/// builds a new one and swaps it in only if it is valid.
public struct DaemonConfig: Sendable {
    /// How archives for one peer travel: `push`, we PUT them to it; `pull`, it cannot be
    /// reached from outside, so we hold them and it GETs them from us; `both`, we push and
    /// also let it pull. Whether we fetch archives *from* that peer is `Peer.poll`.
    public enum PeerMode: String, Sendable, CaseIterable { case push, pull, both }

    public struct Peer: Sendable, Equatable {
        public var code: String
        public var name: String
        /// Base URL, e.g. `https://dms.changsha.example:8443`, no trailing slash.
        public var url: String
        public var mode: PeerMode
        /// Pushes in flight to this peer at once.
        public var maxConcurrent: Int
        /// The peer holds archives for us (we are its pull-mode peer): list and download
        /// them every `pull_poll`. Never implied by `mode`: a pull-mode peer is one that
        /// cannot be reached, so polling it would fail.
        public var poll: Bool
        /// SHA-256 digests of the public keys (DER SubjectPublicKeyInfo) the peer's server may
        /// present; empty: any key of a certificate naming `code`.
        public var spkiSHA256: [[UInt8]]

        /// What its server must prove to be on every outbound connection.
        public var identity: PeerIdentity { PeerIdentity(code: code, spkiSHA256: spkiSHA256) }
    }

    /// `[timestamp]`: RFC 3161 tokens on the archives this authority signs, and whether it
    /// requires them on the archives it receives (docs/archive-format.md, "Timestamp").
    public struct Timestamp: Sendable, Equatable {
        /// The TSA (`http://` or `https://`); nil: archives are signed without a token.
        public var url: String?
        /// CA files of the TSAs whose tokens are trusted, ours and our peers'.
        public var trustFiles: [String]
        /// Pack only with a token: while the TSA fails, packing waits (`wait`) and the dossier
        /// stays in intake (or the submission is answered "try later").
        public var required: Bool
        /// One request to the TSA, connecting included.
        public var timeout: TimeInterval
        /// How long one packing retries a failing TSA before giving the dossier back.
        public var wait: TimeInterval
        /// Refuse received archives without a trusted token (`timestamp-missing`, 422).
        public var requireOnReceipt: Bool

        /// No timestamps sent or required.
        public static let off = Timestamp(url: nil, trustFiles: [], required: false, timeout: 10, wait: 30, requireOnReceipt: false)
    }

    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
    }

    public var file: String
    public var authorityCode: String
    public var authorityName: String
    /// The TLS certificate and key (`[tls]`): ECDSA or RSA, OpenSSL 3.0 has no TLS with SM2.
    public var certificateFile: String
    public var keyFile: String
    /// The signing certificate and key of archives and receipts (`[signing]`, default the TLS
    /// ones); an SM2 key signs in the `sm2-sm3` profile. Both certificates carry the authority
    /// code as subject serialNumber.
    public var signingCertificateFile: String
    public var signingKeyFile: String
    /// Archives received in another profile are rejected (`[signing] require_profile`).
    public var requiredProfile: ArchiveProfile?
    public var trustFiles: [String]
    public var crlFiles: [String]
    /// CRL distribution URLs (`http://` or `https://`), fetched every `crlRefresh`; each copy is
    /// checked against the anchors and kept as the last good one (`StateLayout.fetchedCRL`).
    public var crlURLs: [String]
    public var crlRefresh: TimeInterval
    public var listen: Endpoint
    public var maxConcurrentUploads: Int
    /// Whether authorities that are not configured peers may call the inbound server (403
    /// `unknown-peer` otherwise).
    public var acceptUnlistedPeers: Bool
    /// What one caller may hold of the server, and what idle or handshaking connections may
    /// hold of it (docs/protocol.md).
    public var callerLimits: CallerLimits
    /// Inbound uploads slower than this (bytes/s, averaged after `lowSpeedTime`) are cut off;
    /// connections silent for `idleTimeout` are closed.
    public var lowSpeedLimit: Int
    public var lowSpeedTime: TimeInterval
    public var idleTimeout: TimeInterval
    /// Whether the inbound server offers HTTP/2 by ALPN (`[server] http2`, default false until
    /// its flow-control window can be raised: see docs/protocol.md); HTTP/1.1 is always offered.
    public var http2: Bool = false
    public var adminSocket: String
    public var metricsListen: Endpoint?
    public var stateDirectory: String
    /// The local dossier store: `<registry>/<VIN>/` folders, for archive requests.
    public var registryDirectory: String
    public var retry: RetryPolicy
    public var circuitThreshold: Int
    public var limits: ArchiveLimits
    /// Quarantine quota a peer and the free space kept on the state file system.
    public var storage: StorageLimits
    /// Most pages of one peer's archive list read in one pull round.
    public var pullMaxPages: Int
    public var policy: TransferPolicy
    /// The credit restriction list screened at every check (`[policy.credit]`), nil when none.
    public var credit: CreditSettings?
    public var intakeInterval: TimeInterval
    /// Dossiers packed at once by intake (`[intake] parallel`, default one per core): packing
    /// is CPU-bound, and several in flight keep the pushes fed.
    public var intakeParallel: Int
    /// Pushes running at once to all peers together (`[push] max_transfers`, default 16), each
    /// peer's `max_concurrent` still applying: with hundreds of peers, their limits summed
    /// would mean hundreds of uploads at once on a few cores. Read at start.
    public var maxTransfers: Int
    public var pullInterval: TimeInterval
    public var compactionInterval: TimeInterval
    public var drainTimeout: TimeInterval
    /// A signed custody checkpoint once this many events are not covered by the last one
    /// (`[custody] checkpoint_every`), and every `custodyCheckpointInterval` while any is not.
    public var custodyCheckpointEvery: UInt64
    public var custodyCheckpointInterval: TimeInterval
    public var timestamp: Timestamp
    /// Where the authority directory comes from (`[directory]`), nil when none is used.
    public var directory: DirectorySettings?
    /// The `[[peers]]` of the file, as written.
    public var localPeers: [Peer]
    /// The peers in force: the active entries of the directory in force and `localPeers`, a
    /// local entry overriding URL, mode and limits (`applying(directory:)`); without a
    /// directory, `localPeers`.
    public var peers: [Peer]
    /// Where each peer in force comes from.
    public var peerSources: [String: PeerSource] = [:]
    /// Authorities the directory in force lists as suspended: refused inbound, their archives held.
    public var suspended: Set<String> = []
    /// `[sla]`: when an open transfer case is overdue, how long finished ones are kept.
    public var sla = SLA()

    public func peer(_ code: String) -> Peer? { peers.first { $0.code == code } }

    /// Whether the inbound server lets authority `code` in: never a suspended one; a listed
    /// one always; an unlisted one with `accept_unlisted_peers`.
    public func accepts(caller code: String) -> Bool {
        !suspended.contains(code) && (acceptUnlistedPeers || peer(code) != nil)
    }

    /// Reads and validates a config file.
    /// - Throws: `ConfigError` naming the file, the key and the problem.
    public static func load(path: String) throws(ConfigError) -> DaemonConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, key: "", problem: DaemonText.Config.unreadable(error.localizedDescription))
        }
        return try parse(text, file: path)
    }

    /// Parses config text; `file` names it in errors and anchors relative paths.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> DaemonConfig {
        let base = URL(fileURLWithPath: file).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("/") ? path : base.appendingPathComponent(path).standardizedFileURL.path
        }
        var root = try TOMLReader.parse(file: file, text: text)

        guard var authority = try root.table("authority") else {
            throw root.error("authority", DaemonText.Config.missingTable("authority"))
        }
        let code = try authority.requiredString("code")
        guard isAuthorityCode(code) else { throw authority.error("code", DaemonText.Config.notAuthorityCode(code)) }
        let name = try authority.string("name") ?? "Authority \(code)"
        try authority.rejectUnknownKeys()

        guard var tls = try root.table("tls") else { throw root.error("tls", DaemonText.Config.missingTable("tls")) }
        let certificate = resolve(try tls.requiredString("certificate"))
        let key = resolve(try tls.requiredString("key"))
        let trust = try tls.strings("trust") ?? []
        guard !trust.isEmpty else { throw tls.error("trust", DaemonText.Config.missingCA) }
        let crl = try tls.strings("crl") ?? []
        let crlURLs = try tls.strings("crl_urls") ?? []
        for url in crlURLs where !(url.hasPrefix("https://") || url.hasPrefix("http://")) || URL(string: url)?.host == nil {
            throw tls.error("crl_urls", DaemonText.Config.notURL(url))
        }
        let crlRefresh = try tls.duration("crl_refresh") ?? 3600
        guard crlRefresh >= 1 else { throw tls.error("crl_refresh", DaemonText.Config.atLeastOneSecond) }
        try tls.rejectUnknownKeys()

        var signing = try root.table("signing")
        let signingCertificate = try signing?.string("certificate").map(resolve)
        let signingKey = try signing?.string("key").map(resolve)
        if let signing, (signingCertificate == nil) != (signingKey == nil) {
            throw signing.error(signingCertificate == nil ? "certificate" : "key", DaemonText.Config.certificateAndKey)
        }
        let requiredName = try signing?.string("require_profile")
        let requiredProfile = requiredName.flatMap { ArchiveProfile(rawValue: $0) }
        if let requiredName, requiredProfile == nil {
            throw (signing ?? root).error("require_profile", DaemonText.Config.notOneOf(requiredName, ["sha256", "sm2-sm3"]))
        }
        try signing?.rejectUnknownKeys()

        var server = try root.table("server")
        let listen = try endpoint(server?.string("listen") ?? "0.0.0.0:8443", reader: server ?? root, key: "listen")
        let uploads = try server?.int("max_concurrent_uploads", range: 1...10_000) ?? 16
        let lowSpeedLimit = try server?.int("low_speed_limit", range: 0...1 << 30) ?? 1024
        let lowSpeedTime = try server?.duration("low_speed_time") ?? 30
        let idleTimeout = try server?.duration("idle_timeout") ?? 120
        let acceptUnlisted = try server?.bool("accept_unlisted_peers") ?? false
        let http2 = try server?.bool("http2") ?? false
        var callerLimits = CallerLimits.default
        callerLimits.uploadsPerCaller = try server?.int("max_uploads_per_peer", range: 1...10_000) ?? callerLimits.uploadsPerCaller
        callerLimits.connectionsPerCaller =
            try server?.int("max_connections_per_peer", range: 1...100_000)
            ?? callerLimits.connectionsPerCaller
        callerLimits.connections = try server?.int("max_connections", range: 1...1_000_000) ?? callerLimits.connections
        callerLimits.requestsPerMinute = try server?.int("requests_per_minute", range: 1...1_000_000) ?? callerLimits.requestsPerMinute
        callerLimits.handshakeTimeout = try server?.duration("tls_handshake_timeout") ?? callerLimits.handshakeTimeout
        callerLimits.rejectionsPerMinute =
            try server?.int("rejections_per_minute", range: 1...1_000_000) ?? callerLimits.rejectionsPerMinute
        try server?.rejectUnknownKeys()

        var state = try root.table("state")
        let stateDirectory = resolve(try state?.string("directory") ?? "/var/lib/dossierd")
        let registry = resolve(try state?.string("registry") ?? "\(stateDirectory)/registry")
        var storage = StorageLimits.default
        storage.quarantineBytesPerSender = try state?.size("quarantine_quota_per_peer") ?? storage.quarantineBytesPerSender
        storage.freeSpaceReserve = try state?.size("free_space_reserve") ?? storage.freeSpaceReserve
        storage.quarantineRecordsPerSender =
            try state?.int("quarantine_records_per_peer", range: 1...1_000_000) ?? storage.quarantineRecordsPerSender
        try state?.rejectUnknownKeys()

        var admin = try root.table("admin")
        let socket = resolve(try admin?.string("socket") ?? "\(stateDirectory)/admin.sock")
        let metrics = try admin?.string("metrics_listen").map { (text) throws(ConfigError) in
            try endpoint(text, reader: admin ?? root, key: "metrics_listen")
        }
        if let metrics, !["127.0.0.1", "::1", "localhost"].contains(metrics.host) {
            throw (admin ?? root).error("metrics_listen", DaemonText.Config.loopbackOnly)
        }
        try admin?.rejectUnknownKeys()

        var retryTable = try root.table("retry")
        let retry = RetryPolicy(
            firstDelay: try retryTable?.duration("first_delay") ?? 5,
            factor: try retryTable?.double("factor", range: 1...100) ?? 2,
            cap: try retryTable?.duration("max_delay") ?? 600,
            giveUpAfter: try retryTable?.duration("give_up_after") ?? 72 * 3600)
        let circuit = try retryTable?.int("circuit_after_failures", range: 1...1000) ?? 5
        try retryTable?.rejectUnknownKeys()

        var limitsTable = try root.table("limits")
        var limits = ArchiveLimits.default
        limits.maxArchiveBytes = try limitsTable?.size("max_archive_size") ?? limits.maxArchiveBytes
        limits.maxFileBytes = try limitsTable?.size("max_document_size") ?? limits.maxFileBytes
        limits.maxEntries = try limitsTable?.int("max_files", range: 1...1_000_000) ?? limits.maxEntries
        limits.maxTagFileBytes = try limitsTable?.size("max_tag_file_size") ?? limits.maxTagFileBytes
        limits.maxTagFiles = try limitsTable?.int("max_tag_files", range: 5...10_000) ?? limits.maxTagFiles
        limits.maxTagBytesTotal = try limitsTable?.size("max_tag_files_size") ?? limits.maxTagBytesTotal
        limits.maxRecordBytes = try limitsTable?.size("max_record_size") ?? limits.maxRecordBytes
        limits.maxPaxBytesPerEntry = try limitsTable?.size("max_pax_size_per_entry") ?? limits.maxPaxBytesPerEntry
        limits.maxPaxRecordsPerEntry =
            try limitsTable?.int("max_pax_records_per_entry", range: 1...100_000)
            ?? limits.maxPaxRecordsPerEntry
        limits.maxPaxBytesTotal = try limitsTable?.size("max_pax_size") ?? limits.maxPaxBytesTotal
        limits.maxPaxRecordsTotal = try limitsTable?.int("max_pax_records", range: 1...10_000_000) ?? limits.maxPaxRecordsTotal
        limits.maxNameBytes = try limitsTable?.int("max_name_length", range: 100...65_536) ?? limits.maxNameBytes
        limits.maxDocuments = try limitsTable?.int("max_documents", range: 1...100_000) ?? limits.maxDocuments
        limits.maxSampleBytes = try limitsTable?.size("max_samples_size") ?? limits.maxSampleBytes
        let pullMaxPages = try limitsTable?.int("pull_max_pages", range: 1...100_000) ?? 100
        try limitsTable?.rejectUnknownKeys()

        var policyTable = try root.table("policy")
        let credit = try CreditSettings.parse(try policyTable?.table("credit"), resolve: resolve)
        // A `[policy]` holding only `[policy.credit]` keeps the default transfer rules.
        var policy = TransferPolicy.default
        if let policyTable, policyTable.keys != ["credit"] { policy = try policyTable.decode(TransferPolicy.self) }

        var intakeTable = try root.table("intake")
        let intakeParallel = try intakeTable?.int("parallel", range: 1...64) ?? max(1, ProcessInfo.processInfo.activeProcessorCount)
        try intakeTable?.rejectUnknownKeys()

        var pushTable = try root.table("push")
        let maxTransfers = try pushTable?.int("max_transfers", range: 1...4096) ?? 16
        try pushTable?.rejectUnknownKeys()

        var timing = try root.table("timing")
        let intake = try timing?.duration("intake_poll") ?? 2
        let pull = try timing?.duration("pull_poll") ?? 30
        let compaction = try timing?.duration("compaction") ?? 3600
        let drain = try timing?.duration("drain_timeout") ?? 20
        try timing?.rejectUnknownKeys()

        var custodyTable = try root.table("custody")
        let checkpointEvery = try custodyTable?.int("checkpoint_every", range: 1...10_000_000) ?? 1000
        let checkpointInterval = try custodyTable?.duration("checkpoint_interval") ?? 600
        guard checkpointInterval >= 1 else { throw (custodyTable ?? root).error("checkpoint_interval", DaemonText.Config.atLeastOneSecond) }
        try custodyTable?.rejectUnknownKeys()

        var timestamp = Timestamp.off
        if var table = try root.table("timestamp") {
            timestamp.url = try table.string("url")
            if let url = timestamp.url, !(url.hasPrefix("http://") || url.hasPrefix("https://")) || URL(string: url)?.host == nil {
                throw table.error("url", DaemonText.Config.expectedHTTPURL)
            }
            timestamp.trustFiles = (try table.strings("trust") ?? []).map(resolve)
            timestamp.required = try table.bool("required") ?? false
            timestamp.timeout = try table.duration("timeout") ?? timestamp.timeout
            timestamp.wait = try table.duration("wait") ?? timestamp.wait
            timestamp.requireOnReceipt = try table.bool("require_timestamp") ?? false
            if timestamp.required, timestamp.url == nil { throw table.error("required", DaemonText.Config.requiredTimestampNeedsURL) }
            if timestamp.required || timestamp.requireOnReceipt, timestamp.trustFiles.isEmpty {
                throw table.error("trust", DaemonText.Config.missingTSATrust)
            }
            try table.rejectUnknownKeys()
        }
        let directory = try DirectorySettings.parse(try root.table("directory"), resolve: resolve)
        let sla = try SLA.parse(try root.table("sla"))

        var peers: [Peer] = []
        for var table in try root.tables("peers") {
            let peerCode = try table.requiredString("code")
            guard isAuthorityCode(peerCode) else { throw table.error("code", DaemonText.Config.notAuthorityCode(peerCode)) }
            guard peerCode != code else { throw table.error("code", DaemonText.Config.peerIsSelf) }
            guard !peers.contains(where: { $0.code == peerCode }) else { throw table.error("code", DaemonText.Config.peerTwice(peerCode)) }
            let url = try table.requiredString("url")
            guard url.hasPrefix("https://"), URL(string: url)?.host != nil else {
                throw table.error("url", DaemonText.Config.expectedHTTPSURL)
            }
            var pins: [[UInt8]] = []
            for text in try table.strings("spki_sha256") ?? [] {
                guard let pin = Data(base64Encoded: text), pin.count == 32 else {
                    throw table.error("spki_sha256", DaemonText.Config.notPin(text))
                }
                pins.append([UInt8](pin))
            }
            let modeText = try table.string("mode") ?? "push"
            guard let mode = PeerMode(rawValue: modeText) else {
                throw table.error("mode", DaemonText.Config.notOneOf(modeText, ["push", "pull", "both"]))
            }
            peers.append(
                Peer(
                    code: peerCode, name: try table.string("name") ?? "Authority \(peerCode)",
                    url: url.hasSuffix("/") ? String(url.dropLast()) : url, mode: mode,
                    maxConcurrent: try table.int("max_concurrent", range: 1...256) ?? 4, poll: try table.bool("poll") ?? false,
                    spkiSHA256: pins))
            try table.rejectUnknownKeys()
        }
        try root.rejectUnknownKeys()

        return DaemonConfig(
            file: file, authorityCode: code, authorityName: name, certificateFile: certificate, keyFile: key,
            signingCertificateFile: signingCertificate ?? certificate, signingKeyFile: signingKey ?? key,
            requiredProfile: requiredProfile, trustFiles: trust.map(resolve), crlFiles: crl.map(resolve), crlURLs: crlURLs,
            crlRefresh: crlRefresh, listen: listen, maxConcurrentUploads: uploads,
            acceptUnlistedPeers: acceptUnlisted, callerLimits: callerLimits,
            lowSpeedLimit: lowSpeedLimit, lowSpeedTime: lowSpeedTime, idleTimeout: idleTimeout, http2: http2,
            adminSocket: socket, metricsListen: metrics, stateDirectory: stateDirectory, registryDirectory: registry,
            retry: retry, circuitThreshold: circuit, limits: limits, storage: storage, pullMaxPages: pullMaxPages,
            policy: policy, credit: credit, intakeInterval: intake, intakeParallel: intakeParallel,
            maxTransfers: maxTransfers, pullInterval: pull, compactionInterval: compaction, drainTimeout: drain,
            custodyCheckpointEvery: UInt64(checkpointEvery), custodyCheckpointInterval: checkpointInterval, timestamp: timestamp,
            directory: directory, localPeers: peers, peers: peers, sla: sla)
    }

    private static func isAuthorityCode(_ text: String) -> Bool {
        text.utf8.count == 6 && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    private static func endpoint(_ text: String, reader: TOMLReader, key: String) throws(ConfigError) -> Endpoint {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw reader.error(key, DaemonText.Config.expectedEndpoint(text))
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw reader.error(key, DaemonText.Config.expectedEndpoint(text)) }
        return Endpoint(host: host, port: port)
    }
}
