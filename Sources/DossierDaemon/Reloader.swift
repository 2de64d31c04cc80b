import DossierArchive
import Foundation
import Logging

/// SIGHUP: reads the config and credentials again and swaps them in only if they are valid;
/// a bad file is logged and the running config kept. Transfers in flight keep the credentials
/// they started with; new connections (inbound and outbound), archives and receipts use the
/// new ones.
final class Reloader: @unchecked Sendable {
    // Safe: every stored property is immutable; the dispatch source is thread-safe and is
    // resumed and cancelled once each by the daemon's run.
    private let authority: Authority
    private let configFile: String
    private let notifier: SystemdNotifier
    private let source: DispatchSourceSignal

    init(authority: Authority, configFile: String, notifier: SystemdNotifier) {
        self.authority = authority
        self.configFile = configFile
        self.notifier = notifier
        signal(SIGHUP, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
    }

    func start() {
        source.setEventHandler { [self] in reload() }
        source.resume()
    }

    func stop() { source.cancel() }

    /// Applies the config file now; returns whether it was accepted.
    @discardableResult
    func reload() -> Bool {
        notifier.reloading()
        defer { notifier.status("reloaded at \(Date().formatted(.iso8601))") }
        do {
            let config = try Daemon.check(configFile: configFile)
            let (identity, _) = try Daemon.loadCredentials(config)
            let old = authority.config
            guard config.authorityCode == old.authorityCode, config.stateDirectory == old.stateDirectory else {
                authority.logger.error("reload refused: authority.code and state.directory need a restart", metadata: ["file": "\(configFile)"])
                return false
            }
            try authority.serverTLS.withLock {
                try $0?.reload(certificateFile: config.certificateFile, keyFile: config.keyFile,
                               caFile: try Daemon.caBundle(config, layout: authority.layout))
            }
            authority.replace(config: config, identity: identity)
            try authority.layout.prepareIntake(peers: config.peers.map(\.code))
            authority.inbox.replaceIdentity(identity)
            authority.logger.info("configuration reloaded", metadata: ["file": "\(configFile)", "peers": "\(config.peers.count)"])
            authority.pushWake.signal()
            return true
        } catch {
            authority.logger.error("reload refused, keeping the running configuration", metadata: ["error": "\(error)"])
            authority.errors.record(id: nil, peer: nil, error: "reload: \(error)")
            return false
        }
    }
}
