import DossierArchive
import DossierSystem
import DossierTransport
import Foundation
import Logging
import ServiceLifecycle

/// Keeps the authority directory of `[directory] url` current (docs/directory.md): fetched
/// through libcurl at start, every `refresh` and after a reload, as a conditional GET; admitted
/// only if its signature verifies against `[directory] trust` with the CRLs in force and its
/// serial follows the one in force (no rollback); kept durably as the last good copy and swapped
/// in live, the peers in force following it. A failed fetch or a refused directory keeps the
/// one in force and is reported in `status`, the log and the recent errors.
struct DirectoryRefreshService: Service {
    let authority: Authority
    /// Largest directory accepted: 400 authorities are some hundred KiB.
    static let maxBytes = 16 << 20

    func run() async throws {
        await authority.directoryWake.repeatUntilShutdown {
            let settings = authority.config.directory
            if let settings { await refresh(settings) }
            return settings?.refresh
        }
    }

    /// The last good copy kept in the state directory, read at start and verified again like a
    /// fetched one, against `[directory] trust` and the CRLs in force now: a file changed on
    /// disk, an operator certificate revoked or expired since, or a trust changed in the config
    /// keeps it out. Nil when there is none, it cannot be read or it no longer verifies, which
    /// is logged naming the file; the daemon then waits for a fetch. With the directory, the
    /// SHA-256 (hex) of its signed bytes.
    static func keptCopy(
        layout: StateLayout, config: DaemonConfig, settings: DaemonConfig.DirectorySettings, logger: Logger
    ) -> (directory: AuthorityDirectory, digest: String)? {
        let path = layout.directoryCopy.path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let bytes = try FileIO.readAll(path, limit: maxBytes)
            let directory = try SignedDirectory.verify(bytes, trust: try Daemon.directoryTrust(config, settings)).directory
            return (directory, SHA256.hex(of: bytes))
        } catch {
            logger.error(
                "the kept directory is not used: it cannot be read or no longer verifies against [directory] trust; waiting for a fetch",
                metadata: ["file": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    /// One conditional fetch, and the admission of what it brought.
    func refresh(_ settings: DaemonConfig.DirectorySettings) async {
        let started = Date()
        let response: PeerResponse
        do {
            response = try await authority.operations.client.send(
                PeerRequest(
                    method: .get, url: settings.url, peer: .publisherOfSignedObjects,
                    headers: authority.directoryFetches.conditionalHeaders(url: settings.url), sink: .memory(limit: Self.maxBytes)))
        } catch {
            return fail("\(error)")
        }
        if response.status == 304, authority.directory != nil { return authority.directoryFetches.succeeded(at: started) }
        guard response.status == 200 else { return fail("HTTP \(response.status)") }
        // The very bytes in force were verified already: taken as a 304 (the first fetch after
        // a restart has no validators to send; 400 authorities are ~4 ms to verify and decode).
        let digest = SHA256.hex(of: response.body)
        if authority.directory == nil || !authority.directoryFetches.isInForce(digest: digest) {
            guard await admit(response.body, settings: settings) else { return }
            authority.directoryFetches.inForce(digest: digest)
        }
        authority.directoryFetches.validators(
            url: settings.url, etag: response.headers["etag"], lastModified: response.headers["last-modified"])
        authority.directoryFetches.succeeded(at: started)
    }

    /// Verifies a fetched directory and, when it differs from the one in force, keeps it and puts
    /// it in force; false when it is refused or cannot be kept (reported).
    private func admit(_ signed: [UInt8], settings: DaemonConfig.DirectorySettings) async -> Bool {
        let directory: AuthorityDirectory
        do {
            let trust = try Daemon.directoryTrust(authority.config, settings)
            directory = try SignedDirectory.verify(signed, trust: trust).directory
            try directory.checkSuccession(of: authority.directory)
        } catch {
            fail("refused: \(error)")
            return false
        }
        guard directory != authority.directory else { return true }
        do {
            try await authority.writeDurably(signed, to: authority.layout.directoryCopy, mode: 0o644)
        } catch {
            fail("the directory could not be kept: \(error)")
            return false
        }
        authority.replace(directory: directory)
        let config = authority.config
        authority.logger.info(
            "directory refreshed",
            metadata: [
                "url": "\(settings.url)", "serial": "\(directory.serial)", "authorities": "\(directory.authorities.count)",
                "peers": "\(config.peers.count)", "suspended": "\(config.suspended.count)",
                "next_update": "\(directory.nextUpdate.formatted(.iso8601))",
            ])
        authority.pushWake.signal()
        return true
    }

    private func fail(_ why: String) {
        authority.logger.warning("directory refresh failed, keeping the directory in force", metadata: ["error": "\(why)"])
        authority.errors.record(id: nil, peer: nil, error: "directory: \(why)")
        authority.directoryFetches.failed(why)
    }
}
