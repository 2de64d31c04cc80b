import DossierArchive
import DossierText
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP: reads the config, credentials, trust anchors and CRLs again and swaps them in only
/// if they are all valid; a bad file is logged and the running config kept. Transfers in
/// flight keep the credentials they started with; new connections (inbound and outbound),
/// archives verified and receipts checked from then on use the new ones. Tells systemd
/// `RELOADING=1` when it starts and `READY=1` when it is done, either way.
struct Reloader: Service {
    let authority: Authority
    let configFile: String
    let notifier: SystemdNotifier
    /// Made before the service group starts, so a SIGHUP right after READY=1 is caught, not fatal.
    let signals: UnixSignalsSequence

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    /// Applies the config file now; returns whether it was accepted.
    @discardableResult
    func reload() -> Bool {
        notifier.reloading()
        let accepted = apply()
        notifier.ready(status: DaemonText.reloadStatus(accepted: accepted, at: Date().formatted(.iso8601), listen: authority.listen))
        return accepted
    }

    private func apply() -> Bool {
        do {
            let config = try Daemon.check(configFile: configFile)
            let (identity, trust) = try Daemon.loadCredentials(config)
            let timestamps = try Daemon.loadTimestamps(config)
            let old = authority.config
            guard config.authorityCode == old.authorityCode, config.stateDirectory == old.stateDirectory else {
                authority.logger.error(
                    "reload refused: authority.code and state.directory need a restart", metadata: ["file": "\(configFile)"])
                return false
            }
            // What can still fail comes before anything is swapped, so a refused reload leaves
            // all of the running configuration in force (a new peer's intake folder made here
            // is harmless if it is).
            try authority.layout.prepareIntake(peers: config.localPeers.map(\.code))
            try authority.serverTLS.withLock { try $0?.reload(certificateFile: config.certificateFile, keyFile: config.keyFile) }
            // One store for every use: inbound and outbound TLS, the archive verifier, receipts.
            authority.operations.trust.replace(trust)
            authority.replace(config: config, identity: identity, timestamps: timestamps)
            authority.inbox.replaceIdentity(identity)
            authority.custody.signer.replace(identity, timestamping: timestamps.packing)
            authority.inbox.replaceRequiredProfile(config.requiredProfile)
            authority.credit.apply(config.credit)
            authority.logger.info(
                "configuration reloaded",
                metadata: [
                    "file": "\(configFile)", "peers": "\(authority.config.peers.count)", "crls": "\(config.crlFiles.count)",
                ])
            authority.pushWake.signal()
            if config.crlURLs != old.crlURLs { authority.crlWake.signal() }
            if config.directory != nil { authority.directoryWake.signal() }
            return true
        } catch {
            authority.logger.error("reload refused, keeping the running configuration", metadata: ["error": "\(error)"])
            authority.errors.record(id: nil, peer: nil, error: "reload: \(error)")
            return false
        }
    }
}
