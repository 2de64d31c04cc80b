import DossierArchive
import DossierSystem
import DossierText
import Foundation
import Logging
import ServiceLifecycle

/// Watches `intake/<destination-code>/`: a dossier folder moved (renamed) in there is checked,
/// packed and queued, then removed; one that cannot be is moved to `intake/failed/` with a
/// `reason.txt` beside its files; while the state disk is below its free-space reserve, folders
/// wait where they are. Folders must arrive by rename (atomic), not by a slow copy;
/// names starting with `.` are ignored, so copy to `.name` first and rename when complete.
/// A folder arriving wakes the scan at once (`IntakeWatch`); `timing.intake_poll` is the fallback.
final class IntakeService: Service, Sendable {
    private let authority: Authority

    init(authority: Authority) { self.authority = authority }

    func run() async throws {
        let wake = WakeSignal()
        let watch: IntakeWatch?
        do throws(SystemError) { watch = try IntakeWatch(wake: wake) } catch {
            watch = nil
            authority.logger.warning("intake folders are polled only", metadata: ["reason": "\(error)"])
        }
        defer { watch?.stop() }
        await wake.repeatUntilShutdown {
            watchFolders(watch)
            await scanOnce()
            return authority.config.intakeInterval
        }
    }

    /// `intake/` and each `intake/<destination>/` (new ones appear at reload, or by hand).
    private func watchFolders(_ watch: IntakeWatch?) {
        guard let watch else { return }
        let intake = authority.layout.intake.path
        let queues = ((try? FileIO.list(intake)) ?? []).filter { $0 != "failed" && !$0.hasPrefix(".") }.map { "\(intake)/\($0)" }
        for (folder, failure) in watch.watch([intake] + queues) {
            authority.logger.warning(
                "intake folder polled only", metadata: ["folder": "\(folder)", "reason": "\(String(cString: strerror(failure)))"])
        }
    }

    /// Processes every folder waiting in intake now, up to `[intake] parallel` at once (each
    /// packs on the blocking pool), oldest name first.
    func scanOnce() async {
        let waiting = waitingFolders()
        let parallel = authority.config.intakeParallel
        await withTaskGroup(of: Void.self) { group in
            for (index, (folder, destination)) in waiting.enumerated() {
                if Task.isShuttingDownGracefully { break }
                if index >= parallel { await group.next() }
                group.addTask { await self.process(folder, destination: destination) }
            }
        }
    }

    /// `intake/<destination>/<folder>` pairs, sorted; names starting with `.` are still arriving.
    private func waitingFolders() -> [(URL, String)] {
        let intake = authority.layout.intake
        let manager = FileManager.default
        var waiting: [(URL, String)] = []
        for destination in ((try? manager.contentsOfDirectory(atPath: intake.path)) ?? []).sorted()
        where destination != "failed" && !destination.hasPrefix(".") {
            let queue = intake.appendingPathComponent(destination, isDirectory: true)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: queue.path, isDirectory: &isDirectory), isDirectory.boolValue else { continue }
            for name in ((try? manager.contentsOfDirectory(atPath: queue.path)) ?? []).sorted() where !name.hasPrefix(".") {
                waiting.append((queue.appendingPathComponent(name, isDirectory: true), destination))
            }
        }
        return waiting
    }

    private func process(_ folder: URL, destination: String) async {
        do {
            let queued = try await authority.submit(dossierDirectory: folder, destination: destination)
            // Logged before the folder goes: a crash between the two finds the folder again at
            // the next start, and `submit` finds its archive standing (SubmissionIndex).
            authority.logger.info(
                queued.alreadyQueued ? "intake folder already queued, removing it" : "intake queued, removing the folder",
                metadata: ["id": "\(queued.id)", "peer": "\(destination)", "folder": "\(folder.lastPathComponent)"])
            await TestPause.at(.logged, id: queued.id, logger: authority.logger)
            // Out of intake in one rename, then removed: a crash during the removal leaves the
            // rest in staging, which start-up clears, never a half-removed folder that the next
            // scan would find again and refuse into `intake/failed/` although its archive is
            // queued. Where the rename cannot be done, the folder is removed where it is.
            let doomed = authority.layout.staging.appendingPathComponent("removing-\(UUID().uuidString)", isDirectory: true)
            let removal = try await authority.pool.run { (try? FileIO.rename(folder.path, to: doomed.path)) == nil ? folder : doomed }
            if removal == doomed { await TestPause.at(.removing, id: queued.id, logger: authority.logger) }
            // Unlinking a dossier's files waits on the disk (a discard per file on some mounts).
            try await authority.pool.run { try FileIO.removeTree(removal.path) }
        } catch let error as SubmitError where error.isRetryable {
            // The folder stays where it is and is taken at a later scan, once there is room.
            authority.logger.warning("intake waiting", metadata: ["folder": "\(folder.lastPathComponent)", "reason": "\(error)"])
            authority.errors.record(id: nil, peer: destination, error: "intake \(folder.lastPathComponent) waits: \(error)")
        } catch {
            await reject(folder, destination: destination, reason: operatorText(error))
        }
    }

    /// Moves a refused folder aside with its reason in both languages (the operator's first);
    /// never deletes an operator's files. The log and the status keep the English reason.
    /// The folder appears in `intake/failed/` with its `reason.txt` already in it: it is moved
    /// under a dot name first and renamed once the reason is written (`StateLayout` shows one
    /// a crash left hidden).
    private func reject(_ folder: URL, destination: String, reason: Bilingual) async {
        let stamp = Int(Date().timeIntervalSince1970)
        let failed = authority.layout.intakeFailed
        let name = "\(destination)-\(folder.lastPathComponent)-\(stamp)"
        let (hidden, target) = (
            failed.appendingPathComponent(".\(name)", isDirectory: true), failed.appendingPathComponent(name, isDirectory: true)
        )
        let text = Array(DaemonText.intakeReason(destination: destination, at: Date().formatted(.iso8601), reason: reason).utf8)
        do {
            try await authority.pool.run {
                try FileIO.rename(folder.path, to: hidden.path)
                try DurableFile.write(text, to: hidden.appendingPathComponent("reason.txt", isDirectory: false))
                try FileIO.rename(hidden.path, to: target.path)
                try FileIO.syncDirectory(failed.path)
            }
        } catch {
            authority.logger.error("intake folder could not be moved aside", metadata: ["folder": "\(folder.path)", "error": "\(error)"])
        }
        authority.logger.warning(
            "intake refused", metadata: ["folder": "\(folder.lastPathComponent)", "peer": "\(destination)", "reason": "\(reason.en)"])
        authority.errors.record(id: nil, peer: destination, error: "intake \(folder.lastPathComponent): \(reason.en)")
    }
}
