import DossierArchive
import DossierCustody
import DossierInbox
import DossierModel
import DossierOutbox
import DossierSystem
import DossierText
import DossierTransport
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization
import UnixSignals

/// `dossierd` assembled: loads the config, opens the state, starts the inbound server, the
/// admin API, the push, pull, intake, compaction and watchdog services under one
/// `ServiceGroup`, and runs until SIGTERM/SIGINT (drain, then exit) with SIGHUP reloading.
public struct Daemon: Sendable {
    public struct Options: Sendable {
        public var configFile: String
        /// Start despite journal damage (the damaged segments are kept aside and reported).
        public var acceptJournalDamage = false
        public init(configFile: String) { self.configFile = configFile }
    }

    /// Why the daemon could not start.
    public enum StartError: Error, CustomStringConvertible {
        case config(ConfigError)
        case credentials(String)
        case state(String)

        public var description: String {
            switch self {
            case let .config(error): return "\(error)"
            case let .credentials(text): return text
            case let .state(text): return text
            }
        }

        /// The description in the operator's language (a configuration problem's words; the
        /// credentials and state problems name files and OpenSSL's errors, in English).
        public var operatorDescription: String {
            if case let .config(error) = self { return error.operatorDescription }
            return description
        }
    }

    let options: Options
    public init(options: Options) { self.options = options }

    /// Loads and checks the config and the files it names, without starting anything.
    /// - Throws: `StartError`.
    public static func check(configFile: String) throws -> DaemonConfig {
        let config: DaemonConfig
        do { config = try DaemonConfig.load(path: configFile) } catch { throw StartError.config(error) }
        _ = try loadCredentials(config)
        _ = try loadTimestamps(config)
        return config
    }

    /// The `[timestamp]` table made usable.
    /// - Throws: `StartError.credentials` naming an unusable TSA trust file.
    static func loadTimestamps(_ config: DaemonConfig) throws -> TimestampSetup {
        do { return try TimestampSetup.load(config, metrics: DaemonMetrics()) } catch {
            throw StartError.credentials("\(config.file): timestamp.trust: \(error)")
        }
    }

    /// Loads the signing identity and the trust store, after checking both private keys'
    /// modes and that the TLS and signing certificates are the authority's (subject
    /// serialNumber = authority.code), so archives and receipts are signed by the authority the
    /// TLS peers see.
    /// - Throws: `StartError.credentials` naming the config key and file.
    static func loadCredentials(_ config: DaemonConfig) throws -> (SigningIdentity, TrustStore) {
        try refuseExposedKey(config.keyFile, key: "tls.key", config: config)
        try refuseExposedKey(config.signingKeyFile, key: "signing.key", config: config)
        let tls: SigningIdentity
        let identity: SigningIdentity
        let trust: TrustStore
        do { tls = try SigningIdentity(certificateFile: config.certificateFile, keyFile: config.keyFile) } catch {
            throw StartError.credentials("\(config.file): tls: \(error)")
        }
        do { identity = try SigningIdentity(certificateFile: config.signingCertificateFile, keyFile: config.signingKeyFile) } catch {
            throw StartError.credentials("\(config.file): signing: \(error)")
        }
        do { trust = try trustStore(config) } catch {
            throw StartError.credentials("\(config.file): tls: \(error)")
        }
        if let settings = config.directory {
            do { _ = try directoryTrust(config, settings) } catch {
                throw StartError.credentials("\(config.file): directory.trust: \(error)")
            }
        }
        for (key, file, loaded) in [
            ("tls.certificate", config.certificateFile, tls), ("signing.certificate", config.signingCertificateFile, identity),
        ]
        where loaded.info.authority != config.authorityCode {
            throw StartError.credentials(
                "\(config.file): \(key): \(file) belongs to authority "
                    + "\(loaded.info.authority ?? "(none: no serialNumber)"), but authority.code is \(config.authorityCode)")
        }
        return (identity, trust)
    }

    /// The anchors with every CRL: the configured files and the last good copy fetched from
    /// each `crl_urls` entry. With URLs configured, revocation is checked even before the first
    /// copy arrives (unknown until then, so "try later", never "good").
    static func trustStore(_ config: DaemonConfig) throws -> TrustStore {
        try TrustStore(caFiles: config.trustFiles, crlFiles: crlFiles(config), requireRevocation: !config.crlURLs.isEmpty)
    }

    /// The directory operator's anchors (`[directory] trust`) with the CRLs in force, as
    /// `trustStore` loads them: a revoked operator certificate signs no directory.
    static func directoryTrust(_ config: DaemonConfig, _ settings: DaemonConfig.DirectorySettings) throws -> TrustStore {
        try TrustStore(caFiles: settings.trustFiles, crlFiles: crlFiles(config), requireRevocation: !config.crlURLs.isEmpty)
    }

    /// The configured CRL files and the last good copy of each CRL URL's.
    static func crlFiles(_ config: DaemonConfig) -> [String] {
        let layout = StateLayout(root: config.stateDirectory)
        return config.crlFiles + config.crlURLs.map { layout.fetchedCRL($0).path }.filter { FileManager.default.fileExists(atPath: $0) }
    }

    /// Refuses a private key that group or others may read, naming the config key, file and
    /// mode (as ssh does): whoever can read it can act as this authority.
    static func refuseExposedKey(_ path: String, key: String, config: DaemonConfig) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw StartError.credentials("\(config.file): \(key): \(path): \(String(cString: strerror(errno)))")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o044 == 0 else {
            throw StartError.credentials(
                "\(config.file): \(key): \(path) is readable by group or others (mode "
                    + "\(String(format: "%04o", UInt32(mode)))); make it 0600 or 0400")
        }
    }

    /// Runs until a shutdown signal, then drains and returns.
    /// - Throws: `StartError` when it cannot start; errors of a service that failed.
    public func run() async throws {
        let config: DaemonConfig
        do { config = try DaemonConfig.load(path: options.configFile) } catch { throw StartError.config(error) }
        let logger = Logger(label: "dossierd")
        let notifier = SystemdNotifier()
        let (identity, trust) = try Self.loadCredentials(config)
        let timestamps = try Self.loadTimestamps(config)
        let layout = StateLayout(root: config.stateDirectory)
        let pool = BlockingPool()
        // The last good directory serves until a fetch brings a newer one (or forever, when the
        // URL is down). It is verified and decoded on the blocking pool while the journal, the
        // custody log and the inbox open: 400 authorities are ~3 ms of Foundation's JSON decoder,
        // which a restart would otherwise wait for (`dossier-bench directory`).
        async let keptDirectory = pool.run {
            config.directory.flatMap { DirectoryRefreshService.keptCopy(layout: layout, config: config, settings: $0, logger: logger) }
        }
        // Intake folders for the local peers only: a directory of 400 would cost a scan of each every poll.
        do { try layout.prepare(peers: config.localPeers.map(\.code)) } catch {
            throw StartError.state("\(config.stateDirectory): \(error)")
        }

        var outboxOptions = Outbox.Options(retryPolicy: config.retry, circuitThreshold: config.circuitThreshold)
        outboxOptions.journal.acceptDamage = options.acceptJournalDamage
        let (outbox, report) = try await Self.openOutbox(layout: layout, options: outboxOptions, logger: logger)
        _ = report
        // One trust in force for every use: inbound and outbound TLS, archives, receipts.
        let currentTrust = CurrentTrust(trust)
        let custody = try Self.openCustody(
            layout: layout, config: config, identity: identity, timestamping: timestamps.packing, logger: logger)
        let inbox: Inbox
        do {
            inbox = try Inbox(
                inboxDirectory: layout.inbox, quarantineDirectory: layout.quarantine, identity: identity,
                trust: currentTrust, limits: config.limits, storage: config.storage, timestamps: timestamps.receiving,
                requiredProfile: config.requiredProfile, receiptTimestamping: timestamps.packing, recorder: custody)
        } catch { throw StartError.state("\(layout.inbox.path): \(error)") }
        let client: PeerClient
        do {
            client = try PeerClient(tls: PeerTLS(certificateFile: config.certificateFile, keyFile: config.keyFile, trust: currentTrust))
        } catch { throw StartError.state("the outbound client: \(error)") }
        let completions: Completions
        do { completions = try Completions(layout: layout) } catch { throw StartError.state("\(layout.completions.path): \(error)") }
        let authority = Authority(
            config: config, identity: identity, timestamps: timestamps, layout: layout, outbox: outbox, inbox: inbox,
            operations: PeerOperations(client: client, trust: currentTrust), pool: pool, custody: custody, completions: completions,
            logger: logger)
        if let kept = try await keptDirectory {
            authority.replace(directory: kept.directory)
            authority.directoryFetches.inForce(digest: kept.digest, judgedUnder: kept.judgedUnder)
        }
        authority.credit.apply(config.credit)
        if case .url? = config.credit?.source, let kept = CreditListService.keptCopy(layout: layout, logger: logger) {
            authority.credit.replace(kept)
        }

        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrapIfNeeded(PrometheusMetricsFactory(registry: registry))

        let server = try PeerServer(
            configuration: PeerServerConfiguration(
                host: config.listen.host, port: config.listen.port, certificateFile: config.certificateFile,
                keyFile: config.keyFile, trust: currentTrust, acceptsCaller: { authority.config.accepts(caller: $0) },
                maxArchiveBytes: config.limits.maxArchiveBytes,
                maxConcurrentUploads: config.maxConcurrentUploads, idleTimeoutSeconds: Int64(max(1, config.idleTimeout)),
                lowSpeedBytesPerSecond: config.lowSpeedLimit, lowSpeedSeconds: config.lowSpeedTime,
                callers: config.callerLimits, http2: config.http2),
            delegate: PeerRequests(authority: authority),
            middleware: [HTTPVersionCount()],
            onListening: { port in
                let address = "\(config.listen.host):\(port)"
                authority.listen = address
                try? Data(address.utf8).write(to: layout.listenFile, options: .atomic)
                logger.info("listening", metadata: ["address": "\(address)", "authority": "\(config.authorityCode)"])
                notifier.ready(status: DaemonText.listeningStatus(address))
            },
            logger: logger)

        authority.serverTLS.withLock { $0 = server.tls }
        let admin = AdminService(authority: authority, registry: registry)
        var services: [any Service] = [server.application, admin.application()]
        if let metrics = config.metricsListen { services.append(admin.metricsApplication(host: metrics.host, port: metrics.port)) }
        services += [
            PushService(authority: authority), PullService(authority: authority), IntakeService(authority: authority),
            CompactionService(authority: authority), WatchdogService(authority: authority, notifier: notifier),
            CRLRefreshService(authority: authority), DirectoryRefreshService(authority: authority),
            CreditListService(authority: authority),
            CustodyCheckpointService(authority: authority), CompletionService(authority: authority),
            Reloader(
                authority: authority, configFile: options.configFile, notifier: notifier,
                signals: await UnixSignalsSequence(trapping: .sighup)),
        ]
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // After the drain limit, services are cancelled: transfers still in flight are
        // abandoned and queued again at the next start (at-least-once; receivers deduplicate).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(config.drainTimeout)
        let group = ServiceGroup(configuration: groupConfiguration)
        do {
            try await group.run()
        } catch {
            logger.error("stopping after a service failed", metadata: ["error": "\(error)"])
            await outbox.close()
            await custody.close(logger: logger)
            client.shutdown()
            try? await pool.shutdown()
            throw error
        }
        await outbox.close()
        await custody.close(logger: logger)
        client.shutdown()
        try? await pool.shutdown()
        logger.info("stopped")
    }

    /// Opens the custody log in `<state>/custody/`, checkpoints signed with the authority's
    /// identity in force (reloads included) and timestamped when `[timestamp]` is set; a torn tail is cut off and logged, damage stops
    /// the start (`dossierctl audit verify` says where).
    static func openCustody(
        layout: StateLayout, config: DaemonConfig, identity: SigningIdentity, timestamping: Timestamping?, logger: Logger
    ) throws -> Custody {
        let signer = IdentitySigner(authority: config.authorityCode, identity: identity, timestamping: timestamping)
        let policy = CustodyLog.Policy(
            everyEvents: config.custodyCheckpointEvery, interval: .milliseconds(Int64(config.custodyCheckpointInterval * 1000)))
        let directory = layout.root.appendingPathComponent(CustodyLog.stateSubdirectory).path
        do {
            let (log, torn) = try CustodyLog.open(directory: directory, signer: signer, policy: policy)
            for tail in torn { logger.warning("custody log torn tail cut off", metadata: ["tail": "\(tail)"]) }
            return Custody(log: log, signer: signer)
        } catch {
            throw StartError.state("\(directory): \(error) (dossierctl audit verify --state \(config.stateDirectory) shows where)")
        }
    }

    /// Opens the outbox, logging what the replay found.
    static func openOutbox(layout: StateLayout, options: Outbox.Options, logger: Logger) async throws -> (Outbox, ReplayReport) {
        let (outbox, report): (Outbox, ReplayReport)
        do { (outbox, report) = try await Outbox.open(stateDirectory: layout.outbox, options: options) } catch {
            var hint = ""
            if case .journalDamaged = error { hint = " (start with --accept-journal-damage to continue with what can be read)" }
            throw StartError.state("\(layout.outbox.path): \(error)\(hint)")
        }
        for torn in report.tornTails {
            logger.warning(
                "journal torn tail truncated",
                metadata: ["segment": "\(torn.segment)", "offset": "\(torn.offset)", "bytes": "\(torn.droppedBytes)"])
        }
        for damage in report.damage { logger.error("journal damage kept aside", metadata: ["damage": "\(damage)"]) }
        for orphan in report.spoolOrphans { logger.warning("spool file without journal entry kept aside", metadata: ["file": "\(orphan)"]) }
        for missing in report.missingSpoolFiles { logger.error("journal entry without spool file", metadata: ["id": "\(missing)"]) }
        if !report.releasedClaims.isEmpty {
            logger.info("transfers interrupted by the last stop queued again", metadata: ["count": "\(report.releasedClaims.count)"])
        }
        return (outbox, report)
    }
}

extension MetricsSystem {
    /// Bootstraps once per process (the demo runs two daemons in one).
    static func bootstrapIfNeeded(_ factory: any MetricsFactory) {
        metricsBootstrapped.withLock { done in
            guard !done else { return }
            done = true
            MetricsSystem.bootstrap(factory)
        }
    }
}

private let metricsBootstrapped = Mutex(false)
