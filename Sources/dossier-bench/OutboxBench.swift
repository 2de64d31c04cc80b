import ArgumentParser
import DossierOutbox
import Foundation

/// `dossier-bench outbox`: the journal's durable append rate against one `fdatasync` per
/// record (baseline A) and SQLite in WAL mode with `synchronous=FULL` (baseline B), replay of
/// a million-record journal, and the journal's size after compaction (issue 4).
struct OutboxBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Journal append rate, replay time and compaction size.")
    @OptionGroup var options: BenchOptions

    @Option(help: "Records per baseline run and per single-producer run.")
    var records = 1000

    @Option(help: "Records in the replay journal.")
    var replayRecords = 1_000_000

    func run() async throws {
        report(try await figures(), json: options.json)
    }

    func figures() async throws -> [Figure] {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("dossier-bench-outbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let bench = OutboxBench(root: root, records: max(100, records))

        let replayState = root.appendingPathComponent("replay")
        try await bench.writeReplayJournal(at: replayState, records: max(5, replayRecords))
        var a: [Double] = [], b: [Double] = [], many: [Double] = [], one: [Double] = []
        var replay: [Double] = [], compaction: [Double] = []
        for round in 0..<max(1, options.rounds) {
            a.append(try bench.fdatasyncLoop(round: round))
            b.append(try bench.sqliteLoop(round: round))
            many.append(try await bench.journalAppends(round: round, producers: 32))
            one.append(try await bench.journalAppends(round: round, producers: 1))
            replay.append(try await bench.replay(replayState))
            compaction.append(try await bench.compactionSizeRatio(round: round))
        }
        let area = "outbox"
        return [
            Figure.higherIsBetter(
                area: area, figure: "journal appends/s, 32 producers (enqueued record, 256-B payload)",
                value: median(many), unit: "/s", baseline: "A: fdatasync per record", baselineValue: median(a),
                minRatio: 10),
            Figure.higherIsBetter(
                area: area, figure: "journal appends/s, 32 producers (enqueued record, 256-B payload)",
                value: median(many), unit: "/s", baseline: "B: sqlite3 WAL sync=FULL", baselineValue: median(b),
                minRatio: 3),
            Figure.higherIsBetter(
                area: area, figure: "journal appends/s, 1 producer (enqueued record, 256-B payload)",
                value: median(one), unit: "/s", baseline: "A: fdatasync per record", baselineValue: median(a),
                minRatio: 0.9),
            Figure.atMost(
                area: area, figure: "Outbox.open of a \(replayRecords)-record journal", value: median(replay),
                unit: "s", limit: 2, limitName: "2 s"),
            Figure.atMost(
                area: area, figure: "compacted size, 10k live of 100k vs 10k live of 20k",
                value: median(compaction), unit: "×", limit: 1.1, limitName: "1.1×"),
        ]
    }
}

/// The measurements, each in its own fresh directory under `root`.
struct OutboxBench {
    let root: URL
    let records: Int

    private static let payload = [UInt8](repeating: 0x61, count: 256)

    private func freshDirectory(_ name: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        try? FileManager.default.removeItem(at: url)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    private static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = ContinuousClock.now
        try await body()
        let elapsed = ContinuousClock.now - start
        return elapsed / .seconds(1)
    }

    /// An `enqueued` event whose payload is about 256 bytes, like a real one.
    static func enqueued(_ n: Int, at date: Date) -> OutboxEvent {
        let id = String(format: "%08d-0000-4000-8000-000000000000", n)
        return .enqueued(
            id: id, destination: "DE-KBA",
            archivePath: "/var/lib/dossierd/spool/" + id + String(repeating: "x", count: 58) + ".dva",
            digest: String(repeating: "e3", count: 32), size: 1 << 20, at: date)
    }

    /// Baseline A: `records` writes of 256 bytes, each followed by `fdatasync`.
    func fdatasyncLoop(round: Int) throws -> Double {
        let path = try freshDirectory("a-\(round)").appendingPathComponent("records").path
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BenchFailure.system("open \(path)", errno) }
        defer { close(fd) }
        let start = ContinuousClock.now
        for _ in 0..<records {
            let written = Self.payload.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard written == Self.payload.count, fdatasync(fd) == 0 else { throw BenchFailure.system("write", errno) }
        }
        let elapsed = ContinuousClock.now - start
        return Double(records) / (elapsed / .seconds(1))
    }

    /// Baseline B: the `sqlite3` command, WAL, `synchronous=FULL`, one autocommit insert of the
    /// same 256 bytes per record. Process start-up is included (a few ms of the total).
    func sqliteLoop(round: Int) throws -> Double {
        let dir = try freshDirectory("b-\(round)")
        let blob = "X'" + Self.payload.map { String(format: "%02x", $0) }.joined() + "'"
        var script = "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n"
        script += "CREATE TABLE outbox(n INTEGER PRIMARY KEY, record BLOB);\n"
        for n in 0..<records { script += "INSERT INTO outbox VALUES(\(n), \(blob));\n" }
        let scriptURL = dir.appendingPathComponent("script.sql")
        try script.write(to: scriptURL, atomically: false, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [dir.appendingPathComponent("outbox.db").path]
        process.standardInput = try FileHandle(forReadingFrom: scriptURL)
        process.standardOutput = FileHandle.nullDevice
        let start = ContinuousClock.now
        try process.run()
        process.waitUntilExit()
        let elapsed = ContinuousClock.now - start
        guard process.terminationStatus == 0 else { throw BenchFailure.sqlite(process.terminationStatus) }
        return Double(records) / (elapsed / .seconds(1))
    }

    /// Ours: `producers` tasks each appending `records` enqueued events (32 producers: 32×).
    func journalAppends(round: Int, producers: Int) async throws -> Double {
        let dir = try freshDirectory("ours-\(producers)-\(round)")
        let (journal, _) = try Journal.open(directory: dir) { _ in }
        let perProducer = records
        let now = Date()
        let elapsed = try await Self.seconds {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for p in 0..<producers {
                    group.addTask {
                        for i in 0..<perProducer {
                            try await journal.append(Self.enqueued(p * perProducer + i, at: now))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        await journal.close()
        return Double(producers * perProducer) / elapsed
    }

    /// A journal of `records` events: entries each enqueued, claimed, deferred, claimed and
    /// delivered (five records per entry), written in large batches.
    func writeReplayJournal(at state: URL, records: Int) async throws {
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let (journal, _) = try Journal.open(directory: state.appendingPathComponent("journal")) { _ in }
        let now = Date()
        var batch: [OutboxEvent] = []
        for n in 0..<(records / 5) {
            let id = Self.enqueued(n, at: now).id
            batch += [
                Self.enqueued(n, at: now), .claimed(id: id, at: now),
                .deferred(id: id, at: now, next: now, outcome: .httpStatus(503, retryAfter: nil)),
                .claimed(id: id, at: now), .delivered(id: id, at: now, receiptPath: "/var/lib/dossierd/receipts/\(id)"),
            ]
            if batch.count >= 50_000 {
                try await journal.append(contentsOf: batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        try await journal.append(contentsOf: batch)
        await journal.close()
    }

    /// Seconds for `Outbox.open` to replay `state`.
    func replay(_ state: URL) async throws -> Double {
        var outbox: Outbox?
        let elapsed = try await Self.seconds {
            outbox = try await Outbox.open(stateDirectory: state).0
        }
        await outbox?.close()
        return elapsed
    }

    /// Compacted journal size with 10,000 live entries out of 100,000, divided by the size with
    /// 10,000 live out of 20,000: 1 when the size follows the live entries only.
    func compactionSizeRatio(round: Int) async throws -> Double {
        let large = try await compactedSize(try freshDirectory("compact-large-\(round)"), total: 100_000, live: 10_000)
        let small = try await compactedSize(try freshDirectory("compact-small-\(round)"), total: 20_000, live: 10_000)
        return small > 0 ? Double(large) / Double(small) : 0
    }

    private func compactedSize(_ state: URL, total: Int, live: Int) async throws -> Int {
        let journalURL = state.appendingPathComponent("journal")
        let (journal, _) = try Journal.open(directory: journalURL) { _ in }
        let now = Date()
        var events: [OutboxEvent] = []
        for n in 0..<total {
            let event = Self.enqueued(n, at: now)
            events.append(event)
            if n >= live {
                events += [.claimed(id: event.id, at: now), .delivered(id: event.id, at: now, receiptPath: "r")]
            }
        }
        try await journal.append(contentsOf: events)
        await journal.close()
        let (outbox, _) = try await Outbox.open(stateDirectory: state)
        try await outbox.compact()
        await outbox.close()
        // Up to each file's last non-zero byte: a segment's preallocated zeros hold no records.
        return try FileManager.default.contentsOfDirectory(atPath: journalURL.path).reduce(0) { sum, name in
            let bytes = try Data(contentsOf: journalURL.appendingPathComponent(name))
            return sum + ((bytes.lastIndex { $0 != 0 }).map { $0 + 1 } ?? 0)
        }
    }
}
