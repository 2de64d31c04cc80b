import DossierSystem

/// Reads a journal directory at open: the newest snapshot, then the segments after it.
struct JournalReplay {
    struct Found {
        var damage: JournalDamage
        /// Whether the file itself is unreadable from `damage.offset` on (and so kept aside).
        var fileIsDamaged: Bool
    }

    let directory: String
    private(set) var report = ReplayReport()
    private(set) var damage: [Found] = []
    private(set) var highestSeq: UInt64 = 0
    private var snapshotSeq: UInt64?

    init(directory: String) { self.directory = directory }

    private enum ScanAbort: Error { case undecodable(offset: Int) }

    mutating func run(apply: (OutboxEvent) throws(OutboxError) -> Void) throws(OutboxError) {
        var segments: [UInt64] = []
        var snapshots: [UInt64] = []
        for name in try system(FileIO.list(directory)) {
            if name.hasSuffix(".tmp") {
                try system(FileIO.remove(directory + "/" + name))
                continue
            }
            switch JournalFileName(parsing: name) {
            case .segment(let n)?: segments.append(n)
            case .snapshot(let n)?: snapshots.append(n)
            case nil: continue
            }
        }
        highestSeq = max(segments.max() ?? 0, snapshots.max() ?? 0)
        if let newest = snapshots.max() {
            snapshotSeq = newest
            try replayFile(
                JournalFileName.snapshot(newest), .snapshot,
                mayBeTorn: false, apply: apply)
        }
        let live = segments.filter { $0 >= (snapshotSeq ?? 0) }.sorted()
        for seq in live {
            try replayFile(
                JournalFileName.segment(seq), .segment,
                mayBeTorn: seq == live.last, apply: apply)
        }
    }

    private mutating func replayFile(
        _ name: String, _ kind: JournalFrame.Kind, mayBeTorn: Bool, apply: (OutboxEvent) throws(OutboxError) -> Void
    ) throws(OutboxError) {
        let path = directory + "/" + name
        let bytes = try system(FileIO.readAll(path))
        if bytes.isEmpty && kind == .segment {
            // A crash between creating a segment and writing its magic; nothing was in it.
            try system(FileIO.remove(path))
            return
        }
        report.filesRead.append(name)
        var inconsistent: [JournalDamage] = []
        var replayed = 0
        let outcome: Result<JournalFrame.Stop?, ScanAbort> = bytes.withUnsafeBytes { raw in
            Result { () throws(ScanAbort) -> JournalFrame.Stop? in
                try JournalFrame.scan(raw, kind) { (offset, type, payload) throws(ScanAbort) in
                    let event: OutboxEvent
                    do { event = try OutboxEvent.decode(type: type, payload: payload) } catch {
                        throw .undecodable(offset: offset)
                    }
                    do throws(OutboxError) { try apply(event) } catch {
                        inconsistent.append(
                            JournalDamage(
                                segment: name, offset: offset, unreadBytes: 0, reason: .inconsistent(error), keptAs: nil))
                    }
                    replayed += 1
                }
            }
        }
        report.recordsReplayed += replayed
        // Counted only when something is cut or unread: it reads back through the zeros.
        func unread(from offset: Int) -> Int { max(0, endBeforeTrailingZeros(bytes) - offset) }
        damage += inconsistent.map { Found(damage: $0, fileIsDamaged: false) }
        switch outcome {
        case .success(nil):
            break
        case .success(let stop?) where mayBeTorn && stop.looksTorn:
            if stop.offset == 0 {
                try system(FileIO.remove(path))
            } else {
                try system(FileIO.truncate(path, to: stop.offset))
            }
            report.tornTails.append(TornTail(segment: name, offset: stop.offset, droppedBytes: unread(from: stop.offset)))
        case .success(let stop?):
            damage.append(
                Found(
                    damage: JournalDamage(
                        segment: name, offset: stop.offset, unreadBytes: unread(from: stop.offset),
                        reason: stop.reason, keptAs: nil), fileIsDamaged: true))
        case .failure(.undecodable(let offset)):
            damage.append(
                Found(
                    damage: JournalDamage(
                        segment: name, offset: offset, unreadBytes: unread(from: offset),
                        reason: .undecodable, keptAs: nil), fileIsDamaged: true))
        }
    }

    /// Renames each damaged file to `<name>.damaged` (never overwriting) and records it in
    /// the report's damage list.
    mutating func keepDamagedAside() throws(OutboxError) {
        var renamed: [String: String] = [:]
        for index in damage.indices where damage[index].fileIsDamaged {
            let name = damage[index].damage.segment
            if renamed[name] == nil {
                var target = name + ".damaged"
                var n = 1
                while FileIO.exists(directory + "/" + target) {
                    n += 1
                    target = name + ".damaged-\(n)"
                }
                try system(FileIO.rename(directory + "/" + name, to: directory + "/" + target))
                renamed[name] = target
            }
            damage[index].damage.keptAs = renamed[name]
        }
        try system(FileIO.syncDirectory(directory))
        report.damage = damage.map(\.damage)
    }

    /// Removes what a finished compaction replaced but a crash left behind.
    func removeCompactedFiles() throws(OutboxError) {
        guard let snapshotSeq else { return }
        var removed = false
        for name in try system(FileIO.list(directory)) {
            switch JournalFileName(parsing: name) {
            case .segment(let n)? where n < snapshotSeq, .snapshot(let n)? where n < snapshotSeq:
                try system(FileIO.remove(directory + "/" + name))
                removed = true
            default: continue
            }
        }
        if removed { try system(FileIO.syncDirectory(directory)) }
    }
}
