import DossierArchive
import DossierTransport
import Foundation

/// What the fuzzer (Tests/Fuzz) feeds every input to: the archive verifier, reading the input
/// as an archive file, the receipt parser, and the admission of a fetched CRL (which takes a
/// CRL apart itself before OpenSSL parses it). Set `DOSSIER_FUZZ_CA` to the CA file the seed
/// corpus was signed under, so that valid seeds reach the deepest checks.
public final class FuzzHarness: Sendable {
    public static let shared = FuzzHarness()

    private let verifier: ArchiveVerifier
    private let trust: TrustStore
    private let file: String

    private init() {
        let ca = ProcessInfo.processInfo.environment["DOSSIER_FUZZ_CA"] ?? ""
        guard let trust = try? TrustStore(caFiles: [ca]) else {
            fatalError("DOSSIER_FUZZ_CA must name a PEM CA file (Tests/fuzz.sh sets it)")
        }
        self.trust = trust
        var limits = ArchiveLimits.default
        limits.maxArchiveBytes = 16 << 20
        limits.maxFileBytes = 8 << 20
        verifier = ArchiveVerifier(trust: trust, limits: limits, expectedDestination: "430100")
        file = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-fuzz-\(getpid()).dva").path
    }

    /// One input: as an archive, as a receipt, and as a CRL.
    public func run(_ input: UnsafeBufferPointer<UInt8>) {
        let bytes = Data(buffer: input)
        guard (try? bytes.write(to: URL(fileURLWithPath: file))) != nil else { return }
        _ = try? verifier.verify(path: file, digestArchive: true)
        _ = try? Receipt.open([UInt8](bytes), trust: trust, receiver: "430100", archiveId: "fuzz", digest: "00")
        _ = trust.admit(revocationList: [UInt8](bytes))
    }
}
