import DossierArchive
@testable import DossierCustody
import DossierSystem
import DossierTestSupport
import Foundation
import Synchronization
import Testing

/// Event `n`: every kind in turn, some with a detail.
func sampleEvent(_ n: Int, archive: String? = nil) -> CustodyEvent {
    CustodyEvent(
        kind: CustodyEvent.Kind.allCases[n % CustodyEvent.Kind.allCases.count],
        archiveId: archive ?? String(format: "0193a1b2-%04x-7000-8000-000000000000", n), peer: "430100",
        digest: String(repeating: "ab", count: 32), time: Date(timeIntervalSince1970: 1_800_000_000.123 + Double(n)),
        detail: n % 3 == 0 ? "receipts/\(n).receipt.p7m" : nil)
}

/// The authority 441800 of the test PKI, signing checkpoints.
func signer() throws -> AuthoritySigner {
    try AuthoritySigner(identity: TestPKI.shared.identity("441800"))
}

/// A log in `directory` holding `count` sample events, with a checkpoint after each size in
/// `checkpointsAt`; closed again.
func writeLog(_ directory: String, count: Int, checkpointsAt: [Int] = [], signer: (any CheckpointSigner)? = nil) async throws {
    let (log, _) = try CustodyLog.open(directory: directory, signer: signer)
    for n in 0..<count {
        _ = try await log.append(sampleEvent(n))
        if checkpointsAt.contains(n + 1) { _ = try await log.checkpoint() }
    }
    await log.close()
}

func bytes(_ path: String) throws -> [UInt8] { try FileIO.readAll(path) }

func write(_ bytes: [UInt8], _ path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}

/// Record offsets of a custody file: where each record's header starts, and the file's end.
func recordOffsets(_ file: [UInt8], magic: [UInt8]) -> [Int] {
    RecordFile.scan(file, magic: magic).records.map(\.offset) + [file.count]
}

/// Where each record of an intact custody file ends.
func recordEnds(_ file: [UInt8], magic: [UInt8]) -> [Int] {
    RecordFile.scan(file, magic: magic).records.map { $0.offset + RecordFile.headerSize + $0.payload.count }
}

/// Where each record and each batch marker of an intact custody file starts, then its end.
func recordAndMarkerOffsets(_ file: [UInt8], magic: [UInt8]) -> [Int] {
    var offsets: [Int] = []
    var offset = magic.count
    while offset + RecordFile.headerSize <= file.count {
        offsets.append(offset)
        offset += RecordFile.headerSize + file[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
    }
    return offsets + [file.count]
}

/// A custody file holding a record, closed cleanly, as a crash right after its last commit
/// leaves it: without the marker the close ends it with. (A file without records keeps the
/// marker opening wrote, which this would take for the close's.)
func crashed(_ file: [UInt8]) -> [UInt8] {
    let marker = RecordFile.batchMarker
    let bare = Array(file.dropLast(marker.count))
    guard file.suffix(marker.count).elementsEqual(marker), !bare.suffix(marker.count).elementsEqual(marker) else { return file }
    return bare
}

@Test func appendsGetTheirIndexAndSurviveReopening() async throws {
    let dir = try TempDir()
    let (log, tails) = try CustodyLog.open(directory: dir.path("custody"))
    #expect(tails.isEmpty)
    for n in 0..<10 { #expect(try await log.append(sampleEvent(n)) == UInt64(n)) }
    #expect(log.treeSize == 10)
    await log.close()
    await #expect(throws: CustodyError.closed) { try await log.append(sampleEvent(10)) }

    let contents = try CustodyContents.read(directory: dir.path("custody"))
    #expect(contents.events == (0..<10).map { sampleEvent($0) })
    #expect(contents.firstProblem(trust: nil) == nil)
    let (again, _) = try CustodyLog.open(directory: dir.path("custody"))
    #expect(again.treeSize == 10)
    #expect(try await again.append(sampleEvent(10)) == 10)
    await again.close()
}

/// At the thread limit the appenders write for themselves: every append from 8 tasks lands,
/// durable and in the log, and none waits for a writer that never comes (watched from outside,
/// so that an appender left waiting fails the test instead of hanging it).
@Test func withoutAThreadAppendersWriteThemselves() async throws {
    let dir = try TempDir()
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"), threads: .exhausted)
    let indexes = Mutex<[UInt64]?>(nil)
    Task {
        let all = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for task in 0..<8 {
                group.addTask {
                    var mine: [UInt64] = []
                    for n in 0..<20 { mine.append(try await log.append(sampleEvent(task * 100 + n))) }
                    return mine
                }
            }
            return try await group.reduce(into: [UInt64]()) { $0 += $1 }
        }
        indexes.withLock { $0 = all }
    }
    try #require(try await eventually(seconds: 60) { indexes.withLock { $0 } != nil }, "an appender still waits for a writer")
    #expect(indexes.withLock { $0?.sorted() } == Array(0..<160))
    #expect(log.writerThreadsStarted == 0 && log.syncCount >= 1)
    await log.close()
    let contents = try CustodyContents.read(directory: dir.path("custody"))
    #expect(contents.events.count == 160 && contents.firstProblem(trust: nil) == nil)
}

@Test func severalEventsAppendedTogetherShareOneSyncAndKeepTheirOrder() async throws {
    let dir = try TempDir()
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"))
    #expect(try await log.append(sampleEvent(0)) == 0)
    let before = log.syncCount
    #expect(try await log.append(contentsOf: (1...3).map { sampleEvent($0) }) == [1, 2, 3])
    #expect(log.syncCount == before + 1)
    #expect(try await log.append(contentsOf: []) == [])
    await log.close()
    await #expect(throws: CustodyError.closed) { try await log.append(contentsOf: [sampleEvent(4), sampleEvent(5)]) }
    let contents = try CustodyContents.read(directory: dir.path("custody"))
    #expect(contents.events == (0...3).map { sampleEvent($0) })
    #expect(contents.firstProblem(trust: nil) == nil)
}

@Test func oneWriterThreadServesAppendsSpacedByIdleGapsAndCloseEndsItAtOnce() async throws {
    let dir = try TempDir()
    // A linger no loaded machine's stall between two appends reaches.
    let linger = Duration.seconds(60)
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"), linger: linger)
    for n in 0..<4 {
        _ = try await log.append(sampleEvent(n))
        // Far longer than a batch's patience: the writer has nothing to do in between.
        try await Task.sleep(for: .milliseconds(30))
    }
    #expect(log.writerThreadsStarted == 1)
    // `close` wakes the lingering writer instead of waiting out `linger`.
    let closing = ContinuousClock.now
    await log.close()
    #expect(ContinuousClock.now - closing < linger / 2)
    #expect(try CustodyContents.read(directory: dir.path("custody")).events == (0..<4).map { sampleEvent($0) })
}

@Test func eventsEncodeCanonicallyAndRefuseWhatCannotBe() throws {
    let event = sampleEvent(3)
    let leaf = try event.leafBytes()
    #expect(try CustodyEvent(leafBytes: leaf[...]) == event)
    #expect(leaf.prefix(2) == [1, CustodyEvent.Kind.received.code])
    #expect(throws: CanonicalDecodeFailure.self) { try CustodyEvent(leafBytes: (leaf + [0])[...]) }
    #expect(throws: CanonicalDecodeFailure.self) { try CustodyEvent(leafBytes: leaf.dropLast()) }
    #expect(throws: CanonicalDecodeFailure.self) { try CustodyEvent(leafBytes: ([9] + leaf.dropFirst())[...]) }
    var empty = event
    empty.archiveId = ""
    #expect(throws: CustodyError.invalidEvent(field: "archiveId", reason: "empty")) { try empty.leafBytes() }
    var long = event
    long.detail = String(repeating: "x", count: 70_000)
    #expect(throws: CustodyError.self) { try long.leafBytes() }

    // The readable JSON keeps the millisecond exactly (proof files compare it with the leaf).
    let events = (0..<200).map { sampleEvent($0 * 7919) }
    let json = try JSONEncoder().encode(events)
    #expect(try JSONDecoder().decode([CustodyEvent].self, from: json) == events)
    #expect(String(decoding: try JSONEncoder().encode(sampleEvent(0)), as: UTF8.self).contains("\"2027-01-15T08:00:00.123Z\""))
}

@Test func concurrentAppendsFrom32TasksAllLand() async throws {
    let dir = try TempDir()
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"))
    let perTask = 40
    let indices = try await withThrowingTaskGroup(of: [UInt64: CustodyEvent].self) { group in
        for task in 0..<32 {
            group.addTask {
                var mine: [UInt64: CustodyEvent] = [:]
                for n in 0..<perTask {
                    let event = sampleEvent(task * perTask + n, archive: "task-\(task)-\(n)")
                    mine[try await log.append(event)] = event
                }
                return mine
            }
        }
        return try await group.reduce(into: [UInt64: CustodyEvent]()) { $0.merge($1) { a, _ in a } }
    }
    // Group commit: far fewer syncs than entries.
    #expect(log.syncCount < 32 * perTask / 2)
    await log.close()
    #expect(indices.count == 32 * perTask)
    #expect(Set(indices.keys) == Set((0..<UInt64(32 * perTask))))

    let contents = try CustodyContents.read(directory: dir.path("custody"))
    #expect(contents.events.count == 32 * perTask)
    for (index, event) in indices { #expect(contents.events[Int(index)] == event) }
}

@Test func aTornTailIsDroppedAtEveryCut() async throws {
    let dir = try TempDir()
    let pristine = dir.path("pristine")
    // Five entries a checkpoint covers, then three more: the last write a crash may cut.
    try await writeLog(pristine, count: 8, checkpointsAt: [5], signer: try signer())
    let file = crashed(try bytes(pristine + "/custody.log"))
    let ends = recordEnds(file, magic: RecordFile.entriesMagic)
    // A cut keeps every record and marker before it whole; one inside a record or marker
    // leaves it torn.
    let starts = recordAndMarkerOffsets(file, magic: RecordFile.entriesMagic)
    let checkpoints = try bytes(pristine + "/checkpoints.log")

    for cut in ends[4]..<file.count {
        let state = dir.path("cut-\(cut)")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try write(Array(file[..<cut]), state + "/custody.log")
        try write(checkpoints, state + "/checkpoints.log")
        let whole = ends.filter { $0 <= cut }.count
        let kept = starts.last { $0 <= cut } ?? 0
        let (log, dropped) = try CustodyLog.open(directory: state)
        #expect(log.treeSize == UInt64(whole), "cut at \(cut)")
        // What is cut counts up to its last non-zero byte (here: what a marker's zeros leave, none).
        let bytes = max(0, endBeforeTrailingZeros(Array(file[..<cut])) - kept)
        let expected = cut == kept ? [] : [TornTail(file: state + "/custody.log", offset: kept, bytes: bytes)]
        #expect(dropped == expected, "cut at \(cut)")
        #expect(FileIO.size(state + "/custody.log") == UInt64(kept))
        // Appending goes on after the cut, once in a while (each is an fsync).
        if cut % 16 == 0 {
            #expect(try await log.append(sampleEvent(99)) == UInt64(whole))
        }
        await log.close()
        try FileIO.removeTree(state)
    }
}

@Test func zerosAfterTheLastRecordAreUnusedSpaceAndAppendsFollowTheRecords() async throws {
    let dir = try TempDir()
    let path = dir.path("custody") + "/custody.log"
    let (open, _) = try CustodyLog.open(directory: dir.path("custody"))
    for n in 0..<3 { _ = try await open.append(sampleEvent(n)) }
    // While open, the log has zeros written ahead of its end (so a sync writes data alone) …
    let file = try bytes(path)
    let records = RecordFile.scan(file, magic: RecordFile.entriesMagic)
    #expect(records.records.count == 3 && records.stop == nil)
    #expect(file.count >= CustodyLog.reserveStep && file[records.end...].allSatisfy { $0 == 0 })
    // … which a clean close gives back, ending the log with a marker instead.
    await open.close()
    #expect(try bytes(path) == Array(file[..<records.end]) + RecordFile.batchMarker)
    // After a crash, however many zeros follow, nothing is torn and the next entry goes after
    // the records.
    try write(Array(file[..<records.end]) + [UInt8](repeating: 0, count: 4096 + 7), path)
    let (log, dropped) = try CustodyLog.open(directory: dir.path("custody"))
    #expect(log.treeSize == 3)
    #expect(dropped.isEmpty)
    #expect(try await log.append(sampleEvent(3)) == 3)
    await log.close()
    #expect(RecordFile.scan(try bytes(path), magic: RecordFile.entriesMagic).records.count == 4)
    // A few non-zero bytes after the records are still a torn write.
    try write(Array(file[..<records.end]) + [0, 0, 7], path)
    let (again, torn) = try CustodyLog.open(directory: dir.path("custody"))
    #expect(torn == [TornTail(file: path, offset: records.end, bytes: 3)])
    await again.close()
}

@Test func cuttingEntriesACheckpointCoversIsDamageNotATornTail() async throws {
    let dir = try TempDir()
    let state = dir.path("custody")
    try await writeLog(state, count: 6, checkpointsAt: [6], signer: try signer())
    let file = crashed(try bytes(state + "/custody.log"))
    try write(Array(file.dropLast(3)), state + "/custody.log")
    let expected = CustodyProblem.checkpoint(file: state + "/checkpoints.log", index: 0, treeSize: 6, .beyondLog(entries: 5))
    #expect(throws: CustodyError.damaged(expected)) { try CustodyLog.open(directory: state) }
    #expect(try bytes(state + "/custody.log") == Array(file.dropLast(3)), "a refused open changes nothing")
}

/// One byte flipped anywhere in custody.log is reported at the entry whose record holds it (a
/// batch marker's bytes at the entry after it), by the audit and by open (which then changes
/// nothing); the same for checkpoints.log, but for its last commit: the files as a crash right
/// after it leaves them (`crashed`), it is unacknowledged as far as they can tell, so a torn
/// tail (after a clean close, damage: `aBadLastCommitAfterACleanCloseIsDamage`).
@Test func flippingAnyByteIsReportedAtItsEntry() async throws {
    let dir = try TempDir()
    let pristine = dir.path("pristine")
    try await writeLog(pristine, count: 12, checkpointsAt: [4, 9, 12], signer: try signer())
    let trust = try TestPKI.shared.trust()
    let log = crashed(try bytes(pristine + "/custody.log"))
    let checkpoints = crashed(try bytes(pristine + "/checkpoints.log"))
    #expect(try CustodyContents.read(directory: pristine).firstProblem(trust: trust) == nil)

    let state = dir.path("flipped")
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    try write(checkpoints, state + "/checkpoints.log")
    try flipEachByte(of: log, magic: RecordFile.entriesMagic, at: state + "/custody.log", trust: trust) { position, record, _, problem in
        guard case .entry(_, let index, _, _)? = problem else { return false }
        #expect(index == UInt64(record), "byte \(position)")
        if position % 11 == 0 {
            let before = try bytes(state + "/custody.log")
            #expect(throws: CustodyError.damaged(try #require(problem))) { try CustodyLog.open(directory: state) }
            #expect(try bytes(state + "/custody.log") == before, "a refused open changes nothing")
        }
        return true
    }
    try write(log, state + "/custody.log")
    // checkpoints.log is mostly CMS bytes, all guarded alike by the payload checksum: every
    // header byte is flipped, and every 13th byte of the rest.
    let starts = recordAndMarkerOffsets(checkpoints, magic: RecordFile.checkpointsMagic)
    let headers = starts.dropLast().flatMap { $0..<$0 + RecordFile.headerSize }
    let sample = Set(Array(0..<RecordFile.checkpointsMagic.count) + headers + Array(stride(from: 0, to: checkpoints.count, by: 13)))
    let lastCommit = starts[starts.count - 3]
    try flipEachByte(of: checkpoints, magic: RecordFile.checkpointsMagic, at: state + "/checkpoints.log", only: sample, trust: trust) {
        position, record, contents, problem in
        if position >= lastCommit {
            let tornAt = starts.last { $0 <= position } ?? 0
            return problem == nil && contents.tornTails.map(\.offset) == [tornAt] && contents.checkpoints.count == 2
        }
        guard case .checkpoint(_, let index, _, _)? = problem else { return false }
        #expect(index == record, "checkpoint byte \(position)")
        return true
    }
}

/// Writes `file` to `path` with each byte in turn (of `only`, when given) flipped and hands
/// `check` the position, the index of the record holding it (0 for the magic; for a batch
/// marker, the record after it), what the directory then reads as and its first problem;
/// `check` returns false when the problem is not of the kind expected.
private func flipEachByte(
    of file: [UInt8], magic: [UInt8], at path: String, only: Set<Int>? = nil, trust: TrustStore,
    _ check: (_ position: Int, _ record: Int, CustodyContents, CustodyProblem?) throws -> Bool
) throws {
    let ends = recordEnds(file, magic: magic)
    for position in file.indices where only?.contains(position) ?? true {
        var flipped = file
        flipped[position] ^= 0x5A
        try write(flipped, path)
        // Signatures take milliseconds each: they are checked at every 11th byte only.
        let contents = try CustodyContents.read(directory: FileIO.parent(of: path))
        let problem = contents.firstProblem(trust: position % 11 == 0 ? trust : nil)
        if try !check(position, ends.firstIndex { $0 > position } ?? ends.count, contents, problem) {
            Issue.record("byte \(position) of \(path): \(String(describing: problem))")
        }
    }
}

/// An entry rewritten with valid framing passes its checksum but not the signed root: the
/// first checkpoint covering it names the range it lies in.
@Test func aRewrittenEntryIsCaughtByTheCheckpointRoot() async throws {
    let dir = try TempDir()
    let state = dir.path("custody")
    try await writeLog(state, count: 10, checkpointsAt: [5, 10], signer: try signer())
    var forged = RecordFile.entriesMagic
    for n in 0..<10 {
        var event = sampleEvent(n)
        if n == 7 { event.peer = "110000" }
        RecordFile.append(try event.leafBytes(), to: &forged)
    }
    try write(forged, state + "/custody.log")
    let expected = CustodyProblem.checkpoint(file: state + "/checkpoints.log", index: 1, treeSize: 10, .rootMismatch(firstEntry: 5))
    #expect(try CustodyContents.read(directory: state).firstProblem(trust: nil) == expected)
    #expect(throws: CustodyError.damaged(expected)) { try CustodyLog.open(directory: state) }
}

@Test func checkpointsSignedOutsideTheTrustAreRefused() async throws {
    let dir = try TempDir()
    let state = dir.path("custody")
    let stranger = try AuthoritySigner(identity: TestPKI.shared.untrustedIdentity("441800"))
    try await writeLog(state, count: 3, checkpointsAt: [3], signer: stranger)
    let problem = try CustodyContents.read(directory: state).firstProblem(trust: try TestPKI.shared.trust())
    guard case .checkpoint(_, 0, 3, .signature(let reason))? = problem else {
        Issue.record("\(String(describing: problem))")
        return
    }
    #expect(reason.hasPrefix("untrusted-signer"))
}

@Test func aSecondOpenOfTheSameDirectoryIsRefused() async throws {
    let dir = try TempDir()
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"))
    #expect(throws: CustodyError.locked(path: dir.path("custody"))) { try CustodyLog.open(directory: dir.path("custody")) }
    await log.close()
    let (again, _) = try CustodyLog.open(directory: dir.path("custody"))
    await again.close()
}

@Test func checkpointsFollowThePolicy() async throws {
    let dir = try TempDir()
    let policy = CustodyLog.Policy(everyEvents: 10, interval: .milliseconds(300))
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"), signer: try signer(), policy: policy)
    let loop = Task { await log.runCheckpoints { Issue.record("checkpoint failed: \($0)") } }
    for n in 0..<25 { _ = try await log.append(sampleEvent(n)) }
    // The 10-entry threshold makes checkpoints while appending; the interval covers the rest.
    let deadline = ContinuousClock.now + .seconds(10)
    while log.latestCheckpoint?.checkpoint.treeSize != 25, ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(50))
    }
    #expect(log.latestCheckpoint?.checkpoint.treeSize == 25)
    loop.cancel()
    await loop.value
    await log.close()

    let contents = try CustodyContents.read(directory: dir.path("custody"))
    #expect(contents.checkpoints.count >= 2)
    #expect(contents.checkpoints.map(\.checkpoint.treeSize) == contents.checkpoints.map(\.checkpoint.treeSize).sorted())
    #expect(contents.firstProblem(trust: try TestPKI.shared.trust()) == nil)
}

@Test func aLogWithoutSignerMakesNoCheckpoint() async throws {
    let dir = try TempDir()
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"))
    await #expect(throws: CustodyError.noSigner) { try await log.checkpoint() }
    await log.runCheckpoints { _ in }
    await log.close()
}

@Test func consistencyBetweenTwoCheckpointsChecksOut() async throws {
    let dir = try TempDir()
    let (log, _) = try CustodyLog.open(directory: dir.path("custody"), signer: try signer())
    for n in 0..<7 { _ = try await log.append(sampleEvent(n)) }
    let first = try await log.checkpoint().checkpoint
    #expect(try await log.checkpoint().checkpoint == first, "nothing new, the same checkpoint")
    for n in 7..<13 { _ = try await log.append(sampleEvent(n)) }
    let second = try await log.checkpoint().checkpoint
    let proof = try log.consistencyProof(from: first.treeSize, to: second.treeSize)
    await log.close()

    #expect(MerkleTree.verifyConsistency(oldSize: 7, newSize: 13, oldRoot: first.rootHash, newRoot: second.rootHash, proof: proof))
    #expect(
        RFC9162.verifyConsistency(
            first: 7, second: 13, firstHash: first.rootHash.bytes, secondHash: second.rootHash.bytes,
            path: proof.map(\.bytes)))
    let leaves = try (0..<13).map { try sampleEvent($0).leafBytes() }
    #expect(second.rootHash.bytes == RFC9162.mth(leaves[...]))
    #expect(first.rootHash.bytes == RFC9162.mth(leaves[..<7]))
    #expect(throws: CustodyError.self) { try log.consistencyProof(from: 7, to: 14) }
}

@Test func inclusionProofsOfAnArchiveVerifyOfflineAndTamperingIsCaught() async throws {
    let dir = try TempDir()
    let state = dir.path("custody")
    let (log, _) = try CustodyLog.open(directory: state, signer: try signer())
    let archive = "0193a1b2-c3d4-7000-8000-00000000abcd"
    for n in 0..<20 { _ = try await log.append(sampleEvent(n, archive: [3, 8, 15].contains(n) ? archive : nil)) }
    _ = try await log.checkpoint()
    _ = try await log.append(sampleEvent(20, archive: archive))
    #expect(try log.inclusionProof(index: 8, treeSize: 20).count == 5)
    await log.close()

    let contents = try CustodyContents.read(directory: state)
    let (bundle, uncovered) = try CustodyProofBundle.make(archiveId: archive, from: contents)
    #expect(uncovered == 1)
    #expect(bundle.entries.map(\.leafIndex) == [3, 8, 15])
    let trust = try TestPKI.shared.trust()
    let verified = try CustodyProofBundle.parse(json: bundle.json()).verify(trust: trust)
    #expect(verified.checkpoint.treeSize == 20)
    #expect(verified.events.map(\.index) == [3, 8, 15])
    for entry in bundle.entries {
        let leaf = try sampleEvent(Int(entry.leafIndex), archive: archive).leafBytes()
        #expect(
            RFC9162.verifyInclusion(
                leafIndex: entry.leafIndex, treeSize: 20, hash: RFC9162.leafHash(leaf),
                path: entry.auditPath.map(\.bytes), root: verified.checkpoint.rootHash.bytes))
    }

    var readable = bundle
    readable.entries[1].event.peer = "110000"
    #expect(throws: ProofFault.readableCopyDiffers("entry 8")) { try readable.verify(trust: trust) }
    var path = bundle
    path.entries[0].auditPath.swapAt(0, 1)
    #expect(throws: ProofFault.notIncluded(leafIndex: 3)) { try path.verify(trust: trust) }
    var moved = bundle
    moved.entries[2].leafIndex = 14
    #expect(throws: ProofFault.notIncluded(leafIndex: 14)) { try moved.verify(trust: trust) }
    var head = bundle
    head.checkpoint.checkpoint.treeSize = 21
    #expect(throws: ProofFault.readableCopyDiffers("checkpoint")) { try head.verify(trust: trust) }
    var signature = bundle
    signature.checkpoint.signature = Data(
        try TestPKI.shared.untrustedIdentity("441800").signAttached(
            Array(Data(base64Encoded: bundle.checkpoint.statement) ?? Data()))
    ).base64EncodedString()
    #expect(throws: ProofFault.self) { try signature.verify(trust: trust) }
}

/// A clean close ends each file with a marker: a bad record in its last commit is then damage,
/// as only a crash leaves a torn tail. A bad marker itself is a torn tail that loses nothing.
@Test func aBadLastCommitAfterACleanCloseIsDamage() async throws {
    let dir = try TempDir()
    let pristine = dir.path("pristine")
    try await writeLog(pristine, count: 5, checkpointsAt: [3, 5], signer: try signer())
    for name in [CustodyContents.logFileName, CustodyContents.checkpointsFileName] {
        let file = try bytes(pristine + "/" + name)
        let marker = RecordFile.batchMarker
        #expect(file.suffix(marker.count).elementsEqual(marker) && crashed(file).count == file.count - marker.count, "\(name)")
        var spoiled = file
        spoiled[file.count - marker.count - 2] ^= 0x5A
        let state = dir.path("last-record-" + name)
        try FileManager.default.copyItem(atPath: pristine, toPath: state)
        try write(spoiled, state + "/" + name)
        let refused = #expect(throws: CustodyError.self, "\(name)") { try CustodyLog.open(directory: state) }
        guard case .damaged(let problem)? = refused else {
            Issue.record("\(name): \(String(describing: refused))")
            continue
        }
        switch problem {
        case .entry(_, let index, _, _): #expect(name == CustodyContents.logFileName && index == 4, "\(problem)")
        case .checkpoint(_, let index, _, _): #expect(name == CustodyContents.checkpointsFileName && index == 1, "\(problem)")
        default: Issue.record("\(name): \(problem)")
        }
        #expect(try CustodyContents.read(directory: state).firstProblem(trust: nil) != nil, "\(name)")
        spoiled = file
        spoiled[file.count - 2] ^= 0x5A
        let sealed = dir.path("marker-" + name)
        try FileManager.default.copyItem(atPath: pristine, toPath: sealed)
        try write(spoiled, sealed + "/" + name)
        let (log, dropped) = try CustodyLog.open(directory: sealed)
        #expect(log.treeSize == 5 && log.latestCheckpoint?.checkpoint.treeSize == 5, "\(name)")
        #expect(dropped == [TornTail(file: sealed + "/" + name, offset: file.count - marker.count, bytes: marker.count)], "\(name)")
        await log.close()
    }
}

/// A custody directory `name` under `dir` whose custody.log holds `log`.
private func custodyState(_ dir: TempDir, _ name: String, log: [UInt8]) throws -> String {
    let state = dir.path(name)
    try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
    try write(log, state + "/custody.log")
    return state
}

/// A log in `directory` of `single` entries appended a commit each, then `batch` more in one
/// commit; closed, its bytes then as a crash right after that commit leaves them (`crashed`).
/// Returns those bytes, where the last commit starts and where each of its
/// records starts.
private func logWithALastCommit(
    _ directory: String, single: Int, batch: Int
) async throws -> (file: [UInt8], commit: Int, records: [Int]) {
    let (log, _) = try CustodyLog.open(directory: directory)
    for n in 0..<single { _ = try await log.append(sampleEvent(n)) }
    _ = try await log.append(contentsOf: (single..<single + batch).map { sampleEvent($0) })
    await log.close()
    let file = crashed(try bytes(directory + "/custody.log"))
    let offsets = recordOffsets(file, magic: RecordFile.entriesMagic)
    return (file, offsets[single] - RecordFile.batchMarker.count, Array(offsets[single..<single + batch]))
}

@Test func aCommitWhosePagesLandedOutOfOrderIsATornTail() async throws {
    let dir = try TempDir()
    let (file, commit, records) = try await logWithALastCommit(dir.path("pristine"), single: 3, batch: 4)
    #expect(file[commit..<records[0]].elementsEqual(RecordFile.batchMarker), "each commit starts with a marker")
    #expect(RecordFile.batchMarker == [0, 0, 0, 0, 0, 0, 0, 0, 0x65, 0x22, 0xDF, 0x69], "as docs/custody-log.md gives it")
    // A crash before the commit's fdatasync returned: parts of it never reached the disk (zeros)
    // or hold stale bytes, while records after them did land. None of it was acknowledged.
    let trials: [(name: String, spoiled: Range<Int>, fill: UInt8, cut: Int, kept: UInt64)] = [
        ("second-record-lost", records[1]..<records[2], 0, records[1], 4),
        ("marker-and-first-record-lost", commit..<records[1], 0, commit, 3),
        ("third-record-stale", records[2]..<records[3], 0x5A, records[2], 5),
        ("last-record-half-lost", (records[3] + file.count) / 2..<file.count, 0, records[3], 6),
    ]
    for trial in trials {
        var torn = file
        for i in trial.spoiled { torn[i] = trial.fill }
        let state = try custodyState(dir, trial.name, log: torn)
        #expect(try CustodyContents.read(directory: state).firstProblem(trust: nil) == nil, "\(trial.name)")
        let (log, dropped) = try CustodyLog.open(directory: state)
        #expect(log.treeSize == trial.kept, "\(trial.name)")
        let bytes = endBeforeTrailingZeros(torn) - trial.cut
        #expect(dropped == [TornTail(file: state + "/custody.log", offset: trial.cut, bytes: bytes)], "\(trial.name)")
        await log.close()
        // The cut, then the marker closing it cleanly added.
        #expect(FileIO.size(state + "/custody.log") == UInt64(trial.cut + RecordFile.batchMarker.count), "\(trial.name)")
    }
}

@Test func aPageLostFromAnEarlierCommitIsDamage() async throws {
    let dir = try TempDir()
    let state = dir.path("custody")
    let (file, _, _) = try await logWithALastCommit(state, single: 3, batch: 2)
    let offsets = recordOffsets(file, magic: RecordFile.entriesMagic)
    var lost = file
    for i in offsets[1]..<offsets[2] - RecordFile.batchMarker.count { lost[i] = 0 }
    try write(lost, state + "/custody.log")
    let expected = CustodyProblem.entry(file: state + "/custody.log", index: 1, offset: offsets[1], .headerChecksum)
    #expect(throws: CustodyError.damaged(expected)) { try CustodyLog.open(directory: state) }
    #expect(try bytes(state + "/custody.log") == lost, "a refused open changes nothing")
}

@Test func aLogWrittenBeforeBatchMarkersIsReadJudgedAsBeforeAndAppendedTo() async throws {
    let dir = try TempDir()
    var old = RecordFile.entriesMagic
    var offsets: [Int] = []
    for n in 0..<4 {
        offsets.append(old.count)
        RecordFile.append(try sampleEvent(n).leafBytes(), to: &old)
    }
    // Without markers, a bad spot with an intact record after it is damage ...
    var spoiled = old
    for i in offsets[1]..<offsets[2] { spoiled[i] = 0 }
    let lost = try custodyState(dir, "lost", log: spoiled)
    let expected = CustodyProblem.entry(file: lost + "/custody.log", index: 1, offset: offsets[1], .headerChecksum)
    #expect(throws: CustodyError.damaged(expected)) { try CustodyLog.open(directory: lost) }
    // ... and one with none after it a torn tail.
    spoiled = old
    spoiled[old.count - 1] ^= 1
    let flipped = try custodyState(dir, "flipped", log: spoiled)
    let (cut, dropped) = try CustodyLog.open(directory: flipped)
    #expect(cut.treeSize == 3 && dropped.map(\.offset) == [offsets[3]])
    await cut.close()
    // The intact file opens, and new commits follow its records.
    let state = try custodyState(dir, "custody", log: old)
    let (log, tails) = try CustodyLog.open(directory: state)
    #expect(tails.isEmpty && log.treeSize == 4)
    #expect(try await log.append(sampleEvent(4)) == 4)
    await log.close()
    #expect(try CustodyContents.read(directory: state).events == (0..<5).map { sampleEvent($0) })
}

/// The first commit to a new log, or to one from before markers, loses its marker and first
/// record while its last record lands: a torn tail, as the marker opening wrote before it says.
@Test func aCrashDuringTheFirstMarkedCommitIsATornTail() async throws {
    let dir = try TempDir()
    var old = RecordFile.entriesMagic
    for n in 0..<2 { RecordFile.append(try sampleEvent(n).leafBytes(), to: &old) }
    for (name, before) in [("new", [UInt8]()), ("old", old)] {
        let state = dir.path(name)
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        if !before.isEmpty { try write(before, state + "/custody.log") }
        let (log, _) = try CustodyLog.open(directory: state)
        let kept = log.treeSize
        _ = try await log.append(contentsOf: (10..<13).map { sampleEvent($0) })
        await log.close()
        var file = crashed(try bytes(state + "/custody.log"))
        let offsets = recordOffsets(file, magic: RecordFile.entriesMagic)
        let commit = offsets[Int(kept)] - RecordFile.batchMarker.count
        for i in commit..<offsets[Int(kept) + 1] { file[i] = 0 }
        try write(file, state + "/custody.log")
        let (reopened, dropped) = try CustodyLog.open(directory: state)
        #expect(reopened.treeSize == kept, "\(name)")
        #expect(dropped.map(\.offset) == [commit], "\(name)")
        await reopened.close()
    }
}

/// A commit that fails (here the file system is full) fails the log: entries already queued
/// behind it are answered with the failure and never written. Written, they would land where
/// the failed commit's entries were meant to go, acknowledged with indexes that counted those
/// (found in review). Eight tasks append mostly small events, now and then one of 60 KiB, until
/// the disk is full; every acknowledged index must hold its event when the log is read again.
/// Trials are repeated because which entries share a commit is up to the scheduler.
@Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
func afterAFailedCommitNothingQueuedIsWrittenOrAcknowledged() async throws {
    let dir = try TempDir()
    guard let small = try mountSmallTmpfs("small", in: dir.url, options: "size=3m") else { return }
    defer { _ = try? run("umount", ["-l", small.path]) }
    for trial in 0..<12 {
        let custody = small.path + "/custody-\(trial)"
        let filler = small.path + "/filler"
        let (log, _) = try CustodyLog.open(directory: custody)
        // The first commit writes the zeros ahead of the log's end; then nothing is left.
        _ = try await log.append(sampleEvent(0))
        _ = try run("dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        let acknowledged = try await withThrowingTaskGroup(of: [(UInt64, CustodyEvent)].self) { group in
            for task in 0..<8 {
                group.addTask {
                    var mine: [(UInt64, CustodyEvent)] = []
                    for n in 1..<10_000 {
                        var event = sampleEvent(task * 10_000 + n)
                        if (task + n) % 13 == 0 { event.detail = String(repeating: "x", count: 60 << 10) }
                        do { mine.append((try await log.append(event), event)) } catch { return mine }
                    }
                    return mine
                }
            }
            return try await group.reduce(into: [(UInt64, CustodyEvent)]()) { $0 += $1 }
        }
        await #expect(throws: CustodyError.self) { try await log.append(sampleEvent(1)) }
        await log.close()
        try FileManager.default.removeItem(atPath: filler)
        let events = try CustodyContents.read(directory: custody).events
        let misplaced = acknowledged.filter { index, event in index >= events.count || events[Int(index)] != event }.map(\.0)
        #expect(misplaced == [], "trial \(trial): of \(acknowledged.count) acknowledged entries these are not at their index")
        try FileManager.default.removeItem(atPath: custody)
    }
}
