import DossierArchive
import DossierTransport
import Foundation

/// `[timestamp]` made usable: how this authority's packer gets tokens, and how its inbox
/// judges the tokens on archives it receives. Built at start and on every reload.
struct TimestampSetup: Sendable {
    /// Nil when no TSA is configured: archives are signed without a token.
    var packing: Timestamping?
    var receiving: TimestampPolicy

    /// Loads the TSA trust (with the `[tls] crl` CRLs, so a revoked TSA is refused too).
    /// - Throws: `ArchiveError.credentials` naming an unusable trust or CRL file.
    static func load(_ config: DaemonConfig, metrics: DaemonMetrics) throws(ArchiveError) -> TimestampSetup {
        let settings = config.timestamp
        let trust: TrustStore?
        do {
            trust = settings.trustFiles.isEmpty ? nil : try TrustStore(caFiles: settings.trustFiles, crlFiles: config.crlFiles)
        } catch let error as ArchiveError { throw error } catch {
            throw .credentials(path: settings.trustFiles.joined(separator: ", "), reason: "\(error)")
        }
        let packing = settings.url.map { url in
            Timestamping(
                source: CurlTimestampSource(url: url, timeout: settings.timeout), trust: trust, required: settings.required,
                wait: settings.wait,
                observe: { seconds, error in metrics.timestampRequest(seconds: seconds, failure: error.map(Self.kind)) })
        }
        return TimestampSetup(packing: packing, receiving: TimestampPolicy(trust: trust, required: settings.requireOnReceipt))
    }

    private static func kind(_ error: TimestampError) -> String {
        switch error {
        case .unreachable: return "unreachable"
        case .rejected: return "rejected"
        case .badResponse: return "bad-response"
        }
    }
}
