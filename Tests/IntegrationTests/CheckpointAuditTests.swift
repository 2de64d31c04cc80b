import DossierArchive
@testable import DossierCustody
import DossierTestSupport
import Foundation
import Testing

/// A running daemon's custody checkpoints as `dossierctl audit` judges them afterwards
/// (docs/custody-log.md, "Checkpoints"): timestamped by the TSA of `[timestamp]`, their tokens
/// checked by `audit verify`; signed with SM2 under `[signing]`, verified and proved like any.
@Suite struct CheckpointAuditTests {
    let temp: TempDir
    let tsa = TimestampPKI.shared

    init() throws { temp = try TempDir() }

    /// A checkpoint for every event, so that each submission gets its own.
    static let everyEvent = "[custody]\ncheckpoint_every = 1\ncheckpoint_interval = \"1s\"\n"

    /// Starts 441800 with `extra`, submits one dossier per seed (to a destination that never
    /// answers: the packing is the event), waits for a checkpoint after each, stops it, and
    /// returns the submitted ids and the log read back.
    func logWithCheckpoints(seeds: [Int], extra: String) async throws -> (node: DaemonProcess, ids: [String], log: CustodyContents) {
        let node = try DaemonProcess(
            code: "441800", in: temp.url, pki: tsa.pki, peers: [.init(code: "430100", url: "https://127.0.0.1:1")],
            extra: extra + Self.everyEvent)
        try await node.start()
        let directory = node.state.appendingPathComponent(CustodyLog.stateSubdirectory).path
        var ids: [String] = []
        for (done, seed) in seeds.enumerated() {
            let sample = try SampleDossier.make(in: temp, seed: seed)
            let submitted = try node.ctl(["submit", sample.dir.path, "--to", "430100", "--json"])
            let line = try JSONSerialization.jsonObject(with: Data(submitted.stdout.utf8)) as? [String: Any]
            ids.append(try #require(line?["id"] as? String, "\(submitted.stdout) \(submitted.stderr)"))
            let made = try await eventually(seconds: 20) {
                ((try? CustodyContents.read(directory: directory))?.checkpoints.count ?? 0) > done
            }
            #expect(made, "no checkpoint after submission \(done + 1)")
        }
        #expect(try await node.stop() == 0)
        return (node, ids, try CustodyContents.read(directory: directory))
    }

    /// `dossierctl audit verify --json`'s verdict: exit status and the problem, if any.
    func audit(_ state: URL, _ options: [String]) throws -> (status: Int32, problem: [String: Any]?) {
        let result = try dossierctl(["audit", "verify", "--state", state.path, "--json"] + options)
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        return (result.status, output["problem"] as? [String: Any])
    }

    @Test func checkpointTokensAreCheckedByTheAudit() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let (node, _, log) = try await logWithCheckpoints(
            seeds: [51, 52], extra: "[timestamp]\nurl = \"\(mock.url)\"\ntrust = [\"\(tsa.pki.ca)\"]\ntimeout = \"3s\"\n")
        #expect(log.checkpoints.count >= 2)
        for signed in log.checkpoints {
            let result = SignatureCheck.verifyAttached(
                signature: signed.signature, trust: try tsa.pki.trust(),
                timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: true))
            #expect(result.findings.isEmpty && result.timestamp?.trusted == true, "\(result.findings)")
        }
        let ca = tsa.pki.ca
        let verified = try audit(node.state, ["--trust", ca])
        #expect(verified.status == 0 && verified.problem == nil, "\(String(describing: verified.problem))")

        // TSAs of another CA only: the first checkpoint's token is untrusted.
        let otherTSA = try audit(node.state, ["--trust", ca, "--tsa-trust", "\(tsa.pki.other)/ca.pem"])
        #expect(otherTSA.status == 1 && otherTSA.problem?["index"] as? Int == 0, "\(String(describing: otherTSA.problem))")
        #expect((otherTSA.problem?["reason"] as? String)?.contains("timestamp-untrusted") == true)

        // The second checkpoint's token altered (a genTime digit, under the TSA's signature), the
        // records framed afresh: its own signature still verifies, the token does not.
        let tampered = temp.url.appendingPathComponent("tampered")
        let custody = tampered.appendingPathComponent(CustodyLog.stateSubdirectory)
        try FileManager.default.createDirectory(at: custody, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            at: node.state.appendingPathComponent("\(CustodyLog.stateSubdirectory)/custody.log"),
            to: custody.appendingPathComponent("custody.log"))
        var file = RecordFile.checkpointsMagic
        for (index, signed) in log.checkpoints.enumerated() {
            let signature = index == 1 ? try Self.alteringTheGenTime(of: signed.signature) : signed.signature
            RecordFile.append(try SignedCheckpoint(statement: signed.statement, signature: signature).recordPayload(), to: &file)
        }
        try Data(file).write(to: custody.appendingPathComponent("checkpoints.log"))
        let altered = SignatureCheck.verifyAttached(
            signature: try Self.alteringTheGenTime(of: log.checkpoints[1].signature), trust: try tsa.pki.trust())
        #expect(altered.findings.isEmpty, "without TSA trust the token is not judged: \(altered.findings)")
        let reported = try audit(tampered, ["--trust", ca])
        #expect(reported.status == 1, "\(String(describing: reported.problem))")
        #expect(reported.problem?["kind"] as? String == "checkpoint" && reported.problem?["index"] as? Int == 1)
        #expect(
            (reported.problem?["reason"] as? String)?.contains("timestamp-untrusted") == true, "\(String(describing: reported.problem))")
    }

    /// The signature with the last seconds digit of its token's genTime changed: the first
    /// GeneralizedTime ("20…Z", 15 bytes) after the id-aa-timeStampToken OID is TSTInfo's.
    static func alteringTheGenTime(of signature: [UInt8]) throws -> [UInt8] {
        let oid: [UInt8] = [0x06, 0x0B, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x10, 0x02, 0x0E]
        let attribute = try #require(firstIndex(of: oid, in: signature, from: 0), "no timestamp token")
        let time = try #require(firstIndex(of: [0x18, 0x0F, 0x32, 0x30], in: signature, from: attribute), "no genTime")
        var altered = signature
        let digit = time + 2 + 13
        altered[digit] = altered[digit] == 0x30 ? 0x31 : 0x30
        return altered
    }

    private static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= needle.count else { return nil }
        return (start...(bytes.count - needle.count)).first { bytes[$0..<$0 + needle.count].elementsEqual(needle) }
    }

    /// Issue 16: checkpoints signed with SM2 (SM3, the GM/T ID) pass `audit verify` against the
    /// SM2 CA alone, and an archive's proof made by `audit prove` passes `audit check-proof`.
    @Test func sm2CheckpointsPassTheAuditAndTheirProofs() async throws {
        let pki = tsa.pki
        let (node, ids, log) = try await logWithCheckpoints(seeds: [53], extra: SM2TwoDaemonTests.signing(pki, "441800", require: false))
        let latest = try #require(log.latestCheckpoint)
        let checked = SignatureCheck.verifyAttached(signature: latest.signature, trust: try pki.trust())
        #expect(checked.findings.isEmpty && checked.profile == .sm2SM3, "\(checked.findings)")

        let verified = try audit(node.state, ["--trust", pki.sm2CA])
        #expect(verified.status == 0 && verified.problem == nil, "\(String(describing: verified.problem))")
        let proved = try dossierctl(["audit", "prove", ids[0], "--state", node.state.path])
        #expect(proved.status == 0, "\(proved.stderr)")
        let proof = temp.path("proof.json")
        try proved.stdout.write(toFile: proof, atomically: true, encoding: .utf8)
        let accepted = try dossierctl(["audit", "check-proof", proof, "--trust", pki.sm2CA])
        #expect(accepted.status == 0 && accepted.stdout.contains(ids[0]), "\(accepted.stdout) \(accepted.stderr)")
        // Against the EC CA only, the SM2 signer does not chain.
        let refused = try dossierctl(["audit", "check-proof", proof, "--trust", pki.ca])
        #expect(refused.status == 1, "\(refused.stdout) \(refused.stderr)")
    }
}
