import DossierArchive
import DossierModel
import DossierSystem
import DossierTestSupport
import Dispatch
import Foundation
import Synchronization
import Testing

/// `DossierPackager`: the record is checked while packing begins, and the check decides.
@Suite struct PackagerTests {
    let temp: TempDir
    let pki = TestPKI.shared

    init() throws { temp = try TempDir() }

    /// A refused dossier with 512 MiB of documents is refused without being read through: the
    /// check's refusal stops the packer at its next buffer, and nothing is left on disk.
    @Test func aRefusedDossierIsNotReadThrough() throws {
        let seized = try SampleDossier.make(in: temp, seed: 31, ineligible: "seized")
        let large = seized.dir.appendingPathComponent("documents/99-appendix.pdf")
        #expect(FileManager.default.createFile(atPath: large.path, contents: nil))
        let handle = try FileHandle(forWritingTo: large)
        try handle.truncate(atOffset: 512 << 20)
        try handle.close()
        let out = temp.url.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        let identity = try pki.identity("441800")
        // The packer reads the documents on the calling thread; the check reads on its own.
        let before = try bytesReadByThisThread()
        #expect {
            try DossierPackager.pack(
                dossierDirectory: seized.dir, destination: "430100", identity: identity, policy: .default, outputDirectory: out)
        } throws: { error in
            guard case let .problems(problems) = error as? DossierPackager.Refusal else { return false }
            return problems.map(\.code).contains("seized")
        }
        let read = try bytesReadByThisThread() - before
        #expect(read < 256 * 1_048_576, "the packer read \(Int(read)) bytes of a refused dossier")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path).isEmpty)
    }

    /// A folder without its record fails the check and the packer alike; the check's refusal
    /// is what the caller hears, as `dossierctl check` words it.
    @Test func theChecksRefusalComesBeforeThePackersError() throws {
        let empty = temp.url.appendingPathComponent("no-record")
        try FileManager.default.createDirectory(at: empty.appendingPathComponent("documents"), withIntermediateDirectories: true)
        try Data("%PDF-1.4\n".utf8).write(to: empty.appendingPathComponent("documents/01-form.pdf"))
        let identity = try pki.identity("441800")
        #expect {
            try DossierPackager.pack(
                dossierDirectory: empty, destination: "430100", identity: identity, policy: .default, outputDirectory: temp.url)
        } throws: { error in
            guard case let .problems(problems) = error as? DossierPackager.Refusal else { return false }
            return problems.map(\.code) == ["missing-record"]
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temp.url.path).allSatisfy { !$0.hasSuffix(".tmp") })
    }

    /// The check's thread: the body runs once, on a thread other than the caller's, under its
    /// name cut to the kernel's 15 bytes; without a thread, `start` says so and runs nothing.
    @Test func aDetachedThreadRunsItsBodyElsewhere() {
        let ran = Mutex<[(pthread_t, String)]>([])
        let done = DispatchSemaphore(value: 0)
        #expect(throws: Never.self) {
            try DetachedThread.start(named: "test-detached-thread") {
                let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
                ran.withLock { $0.append((pthread_self(), name)) }
                done.signal()
            }
        }
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(ran.withLock { $0.count == 1 && pthread_equal($0[0].0, pthread_self()) == 0 })
        #expect(ran.withLock { $0.first?.1 } == "test-detached-t\n")
        #expect(throws: SystemError(.createThread, path: "test-none", errno: EAGAIN)) {
            try ThreadStarter.exhausted.start(named: "test-none") { Issue.record("ran without a thread") }
        }
    }

    /// `rchar` of /proc/thread-self/io: bytes this thread has read through system calls.
    private func bytesReadByThisThread() throws -> Double { try #require(procValue("/proc/thread-self/io", "rchar:")) }
}
