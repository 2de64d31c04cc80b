import ArgumentParser
import DossierArchive
import DossierInbox
import DossierSystem
import DossierTransport
import Foundation
import Hummingbird
import Logging

/// `dossier-mock-peer`: a standalone peer authority for tests and demos (docs/architecture.md). It
/// receives, verifies and stores archives with `PeerServer` + `Inbox`, answers with receipts,
/// serves archives for pull, accepts requests, and misbehaves on demand. Once both servers
/// listen it prints exactly one line on stdout: `listening <host>:<port> control <port>`.
@main
struct MockPeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier-mock-peer",
        abstract: "A peer authority for tests and demos, with scriptable faults.")

    @Option(help: "This authority's certificate (PEM); its subject serialNumber is the authority code.")
    var cert: String
    @Option(help: "This authority's private key (PEM).")
    var key: String
    @Option(help: "Trust anchors for client certificates and receipts (PEM).")
    var ca: String
    @Option(help: "State folder (inbox/, quarantine/ are made inside).")
    var state: String
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).")
    var port = 0
    @Option(name: .customLong("control-port"), help: "Port of the plain-HTTP control endpoint on 127.0.0.1 (0: any).")
    var controlPort = 0
    @Option(name: .customLong("max-archive-bytes"), help: "Largest archive accepted.")
    var maxArchiveBytes: UInt64 = ArchiveLimits.default.maxArchiveBytes
    @Option(name: .customLong("max-uploads"), help: "Concurrent uploads before 503.")
    var maxUploads = 32
    @Option(name: .customLong("known-vin"), help: "A vehicle this authority knows (for POST /v1/requests); repeatable.")
    var knownVINs: [String] = []
    @Option(name: .customLong("ineligible-vin"), help: "A known vehicle that cannot be transferred; repeatable.")
    var ineligibleVINs: [String] = []
    @Option(name: .customLong("wrong-key-cert"), help: "Certificate of another authority, for the wrong-key fault.")
    var wrongKeyCert: String?
    @Option(name: .customLong("wrong-key-key"), help: "Its private key.")
    var wrongKeyKey: String?

    @Option(name: .customLong("fail-next"), help: "Fail the next N requests with --fail-status.")
    var failNext = 0
    @Option(name: .customLong("fail-status"), help: "Status for --fail-next.")
    var failStatus = 503
    @Option(name: .customLong("retry-after"), help: "Retry-After seconds sent with injected failures.")
    var retryAfter: Int?
    @Option(name: .customLong("latency-ms"), help: "Delay added to every request.")
    var latencyMs = 0
    @Option(name: .customLong("close-mid-body"), help: "Drop the connection mid-body on the next N requests.")
    var closeMidBody = 0
    @Option(help: "Trickle the next N response bodies.")
    var trickle = 0
    @Option(name: .customLong("trickle-rate"), help: "Bytes per second when trickling.")
    var trickleRate = 16_384
    @Option(name: .customLong("wrong-key"), help: "Sign the next N receipts with the wrong key.")
    var wrongKey = 0
    @Option(name: .customLong("wrong-digest"), help: "Put a wrong digest in the next N receipts.")
    var wrongDigest = 0
    @Option(name: .customLong("refuse-handshakes"), help: "Close the next N connections before the TLS handshake.")
    var refuseHandshakes = 0
    @Option(name: .customLong("bloat-answers"), help: "Answer the next N requests with a 1 MiB body of filler.")
    var bloatAnswers = 0
    @Option(name: .customLong("flood-headers"), help: "Add 128 KiB of header lines to the next N answers.")
    var floodHeaders = 0
    @Option(name: .customLong("fail-rate"), help: "Probability (0-1) of a random fault per request.")
    var failRate = 0.0
    @Option(help: "Seed of the random faults.")
    var seed: UInt64 = 1
    @Option(help: "A folder whose files are served at GET /published/<name> (CRLs for tests), read on every request.")
    var publish: String?
    @Flag(help: "Offer HTTP/2 by ALPN (h2, then http/1.1); without it the mock peer speaks HTTP/1.1 only.")
    var http2 = false

    func validate() throws {
        guard (wrongKeyCert == nil) == (wrongKeyKey == nil) else {
            throw ValidationError("--wrong-key-cert and --wrong-key-key go together")
        }
        guard (0...1).contains(failRate) else { throw ValidationError("--fail-rate is a probability between 0 and 1") }
        guard FaultSettings.failStatuses.contains(failStatus) else { throw ValidationError("--fail-status must be 400-599") }
        guard FaultSettings.latencyRange.contains(latencyMs) else { throw ValidationError("--latency-ms must be 0-600000") }
        guard retryAfter.map({ $0 >= 0 }) ?? true else { throw ValidationError("--retry-after must not be negative") }
    }

    func run() async throws {
        var logger = Logger(label: "dossier-mock-peer")
        logger.logLevel = .warning
        let identity = try SigningIdentity(certificateFile: cert, keyFile: key)
        let trust = try TrustStore(caFiles: [ca])
        var wrongIdentity: SigningIdentity?
        if let wrongKeyCert, let wrongKeyKey {
            wrongIdentity = try SigningIdentity(certificateFile: wrongKeyCert, keyFile: wrongKeyKey)
        }
        let stateURL = URL(fileURLWithPath: state)
        var limits = ArchiveLimits.default
        limits.maxArchiveBytes = maxArchiveBytes
        let inbox = try Inbox(
            inboxDirectory: stateURL.appendingPathComponent("inbox"),
            quarantineDirectory: stateURL.appendingPathComponent("quarantine"),
            identity: identity, trust: CurrentTrust(trust), limits: limits)
        let faults = MockFaults(
            FaultSettings(
                failNext: failNext, failStatus: failStatus, retryAfter: retryAfter, latencyMs: latencyMs, closeMidBody: closeMidBody,
                trickle: trickle, trickleBytesPerSecond: max(1, trickleRate), wrongKey: wrongKey, wrongDigest: wrongDigest,
                refuseHandshakes: refuseHandshakes, bloatAnswers: bloatAnswers, floodHeaders: floodHeaders, failRate: failRate,
                seed: seed))
        let log = RequestLog()
        let held = MockHeldArchives(
            inbox: inbox, pool: BlockingPool(), trust: trust, knownVINs: Set(knownVINs + ineligibleVINs),
            ineligibleVINs: Set(ineligibleVINs))
        let ready = ReadyLine(host: host)
        let inboundBytes = InboundByteCount()
        let pushes = PushConcurrency()

        var server = try PeerServer(
            configuration: PeerServerConfiguration(
                host: host, port: port, certificateFile: cert, keyFile: key, trust: CurrentTrust(trust),
                maxArchiveBytes: maxArchiveBytes, maxConcurrentUploads: maxUploads,
                // A stand-in for one peer, driven by tests and benchmarks:
                // only its upload slots limit the caller.
                callers: CallerLimits(
                    uploadsPerCaller: maxUploads, connectionsPerCaller: 100_000,
                    connections: 100_000, requestsPerMinute: 100_000_000,
                    handshakeTimeout: 10, rejectionsPerMinute: 100_000_000),
                http2: http2),
            delegate: held,
            middleware: [
                LogMiddleware(log: log, pushes: pushes),
                PublishedFiles(folder: publish ?? "/nonexistent"),
                FaultMiddleware(faults: faults, forger: ReceiptForger(inbox: inbox, identity: identity, wrongIdentity: wrongIdentity)),
            ],
            admitConnection: { faults.admitConnection() },
            inboundBytes: inboundBytes,
            onListening: { ready.peer($0) },
            logger: logger)
        let control = Application(
            router: ControlServer.makeRouter(
                log: log, inbox: inbox, faults: faults, held: held, inboundBytes: inboundBytes, pushes: pushes),
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: controlPort)),
            onServerRunning: { ready.control($0.localAddress?.port ?? 0) },
            logger: logger)
        server.application.addServices(control)
        try await server.runService()
    }
}
