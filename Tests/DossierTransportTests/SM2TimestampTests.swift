import DossierArchive
import DossierTestSupport
import DossierTransport
import Foundation
import Testing

/// CAdES-T on an `sm2-sm3` archive: the RFC 3161 token (from an EC TSA: OpenSSL 3.0 has no SM2
/// TSA) is over the SM2 signature value, as for the `sha256` profile.
@Suite struct SM2TimestampTests {
    let temp: TempDir
    let sample: SampleDossier
    let tsa = TimestampPKI.shared

    init() throws {
        temp = try TempDir()
        sample = try SampleDossier.make(in: temp, seed: 51)
    }

    @Test func anSM2ArchiveCarriesATrustedToken() async throws {
        let mock = try await MockTSAProcess.launch(in: temp)
        let timestamping = Timestamping(
            source: CurlTimestampSource(url: mock.url, timeout: 3), trust: try tsa.tsaTrust(), required: true, wait: 10,
            retryDelay: 0.2)
        let bag = BagIdentity(
            origin: "441800", destination: "430100", vin: sample.vin, plate: sample.plate, schema: "dossier/1",
            sourceOrganization: "Qingyuan Vehicle Administration Office")
        let packed = try ArchivePacker.pack(
            dossierDirectory: sample.dir, bag: bag, identity: try tsa.pki.sm2Identity("441800"), outputDirectory: temp.url,
            timestamping: timestamping)
        #expect(packed.timestampProblem == nil)
        let report = try ArchiveVerifier(
            trust: try tsa.pki.trust(), expectedDestination: "430100",
            timestamps: TimestampPolicy(trust: try tsa.tsaTrust(), required: true), requiredProfile: .sm2SM3
        ).verify(path: packed.path)
        #expect(report.valid, "\(report.reasons)")
        #expect(report.profile == .sm2SM3)
        #expect(report.timestamp?.trusted == true)
    }
}
