import DossierSystem
import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An accepted archive waiting for its group commit: the archive still fsynced in
/// `.incoming/`, its receipt and record written unsynced under temporary names beside their
/// final ones (`.<id>.receipt.<nonce>.tmp`, `.<id>.json.<nonce>.tmp`; a crash leaves them as
/// leftovers the inbox removes when it opens).
struct StagedAcceptance: Sendable {
    let entry: InboxEntry
    let receipt: [UInt8]
    /// The received archive's temporary path (in `.incoming/`).
    let archive: String
    let receiptTemp: String
    let recordTemp: String
    let finalArchive: String
    let finalReceipt: String
    let finalRecord: String

    init(entry: InboxEntry, receipt: [UInt8], archive: String, directory: String, nonce: UInt64) {
        let id = entry.archiveId
        self.entry = entry
        self.receipt = receipt
        self.archive = archive
        receiptTemp = "\(directory)/.\(id).receipt.\(nonce).tmp"
        recordTemp = "\(directory)/.\(id).json.\(nonce).tmp"
        finalArchive = "\(directory)/\(id).dva"
        finalReceipt = "\(directory)/\(id).receipt"
        finalRecord = "\(directory)/\(id).json"
    }

    /// Removes every name this acceptance has or may have had. The final names cannot belong to
    /// another entry: an id is claimed while it is received and never received again once
    /// accepted.
    func remove() {
        for path in [finalRecord, recordTemp, finalReceipt, receiptTemp, finalArchive, archive] { unlink(path) }
    }
}

/// What the inbox's group commits did, for metrics and to see the batching.
final class CommitCounts: Sendable {
    /// `syncfs` and directory syncs made.
    let syncs = Atomic<Int>(0)
    /// Archives accepted through them.
    let accepted = Atomic<Int>(0)
}

extension Inbox {
    /// Publishes a group of staged acceptances with three syncs in all, whatever its size:
    /// one `syncfs` makes every receipt's and record's bytes durable (the archives already
    /// are); the archives and receipts are renamed to their final names and the inbox
    /// directory synced; then the records, and the directory synced again. A record thus never
    /// names an archive or receipt a crash could lose, and an entry that is not complete has no
    /// record, so opening the inbox removes it. An entry whose step fails is removed (so a full
    /// disk is not left fuller); a failed sync fails every entry not yet failed.
    /// Runs on the committer's thread; returns one outcome per entry, in order.
    static func commit(_ batch: [StagedAcceptance], in directory: String, counts: CommitCounts) -> [Result<Void, SystemError>] {
        var outcomes = [Result<Void, SystemError>](repeating: .success(()), count: batch.count)
        func each(_ step: (StagedAcceptance) throws(SystemError) -> Void) {
            for index in batch.indices where (try? outcomes[index].get()) != nil {
                do throws(SystemError) { try step(batch[index]) } catch { outcomes[index] = .failure(error) }
            }
        }
        func sync(_ work: () throws(SystemError) -> Void) -> Bool {
            do throws(SystemError) {
                try work()
                counts.syncs.add(1, ordering: .relaxed)
                return true
            } catch {
                for index in outcomes.indices where (try? outcomes[index].get()) != nil { outcomes[index] = .failure(error) }
                return false
            }
        }
        if sync({ () throws(SystemError) in try FileIO.syncFileSystem(directory) }) {
            each { staged throws(SystemError) in
                try FileIO.rename(staged.archive, to: staged.finalArchive)
                try FileIO.rename(staged.receiptTemp, to: staged.finalReceipt)
            }
            if sync({ () throws(SystemError) in try FileIO.syncDirectory(directory) }) {
                each { staged throws(SystemError) in try FileIO.rename(staged.recordTemp, to: staged.finalRecord) }
                _ = sync({ () throws(SystemError) in try FileIO.syncDirectory(directory) })
            }
        }
        var removed = false
        for (staged, outcome) in zip(batch, outcomes) where (try? outcome.get()) == nil {
            staged.remove()
            removed = true
        }
        if removed { try? FileIO.syncDirectory(directory) }
        counts.accepted.add(outcomes.count { (try? $0.get()) != nil }, ordering: .relaxed)
        return outcomes
    }
}
