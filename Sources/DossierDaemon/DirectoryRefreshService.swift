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
/// one in force and is reported in `status`, the log and the recent errors. When the trust or
/// CRL files change (a SIGHUP, a CRL refreshed), the directory in force is verified again before
/// the fetch, as at start; one that no longer verifies is dropped.
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
    ) -> (directory: AuthorityDirectory, digest: String, judgedUnder: String)? {
        let path = layout.directoryCopy.path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // Taken before the files are read for the verification: a file changed in between makes
        // the next refresh judge the directory again, never the other way round.
        let inputs = trustInputs(config, settings)
        do {
            let bytes = try FileIO.readAll(path, limit: maxBytes)
            let directory = try SignedDirectory.verify(bytes, trust: try Daemon.directoryTrust(config, settings)).directory
            return (directory, SHA256.hex(of: bytes), inputs)
        } catch {
            logger.error(
                "the kept directory is not used: it cannot be read or no longer verifies against [directory] trust; waiting for a fetch",
                metadata: ["file": "\(path)", "error": "\(error)"])
            return nil
        }
    }

    /// What a directory's verification rests on besides its bytes: SHA-256 (hex) over whether
    /// revocation is required and each `[directory] trust` and CRL file, by path and content (a
    /// file that cannot be read counts as its error). Blocking: reads a few small files.
    static func trustInputs(_ config: DaemonConfig, _ settings: DaemonConfig.DirectorySettings) -> String {
        let digest = SHA256()
        digest.update(Array("revocation required: \(!config.crlURLs.isEmpty)\n".utf8))
        for path in settings.trustFiles + Daemon.crlFiles(config) {
            digest.update(Array("\(path)\n".utf8))
            do { digest.update(SHA256.hex(of: try FileIO.readAll(path, limit: maxBytes * 2)).utf8) } catch {
                digest.update(Array("unreadable: \(error)".utf8))
            }
        }
        return digest.finish().hexString
    }

    /// One conditional fetch, and the admission of what it brought; first, when the trust or CRL
    /// files changed since the directory in force was verified, that directory is judged again.
    func refresh(_ settings: DaemonConfig.DirectorySettings) async {
        let config = authority.config
        guard let inputs = try? await authority.pool.run({ Self.trustInputs(config, settings) }) else { return }
        if authority.directory != nil, !authority.directoryFetches.isJudged(under: inputs) {
            await judgeAgain(settings)
        }
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
            authority.directoryFetches.inForce(digest: digest, judgedUnder: inputs)
        }
        authority.directoryFetches.validators(
            url: settings.url, etag: response.headers["etag"], lastModified: response.headers["last-modified"])
        authority.directoryFetches.succeeded(at: started)
    }

    /// The kept copy of the directory in force verified under the trust and CRLs of now, as at
    /// start. One that no longer verifies (its operator certificate revoked, another `trust`) is
    /// dropped: only `[[peers]]` are peers until a fetch brings one that does, as after a start
    /// with that copy.
    private func judgeAgain(_ settings: DaemonConfig.DirectorySettings) async {
        let (layout, config, logger) = (authority.layout, authority.config, authority.logger)
        let kept = try? await authority.pool.run { Self.keptCopy(layout: layout, config: config, settings: settings, logger: logger) }
        if let kept = kept ?? nil {
            authority.replace(directory: kept.directory)
            authority.directoryFetches.inForce(digest: kept.digest, judgedUnder: kept.judgedUnder)
            return
        }
        authority.replace(directory: nil)
        authority.directoryFetches.dropped()
        let why =
            "the directory in force no longer verifies against [directory] trust and the CRLs in force; "
            + "dropped until a fetch brings one that does"
        authority.logger.error("\(why)", metadata: ["file": "\(layout.directoryCopy.path)"])
        authority.errors.record(id: nil, peer: nil, error: "directory: \(why)")
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
