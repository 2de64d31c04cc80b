import DossierArchive
import DossierTestSupport
import DossierTransport

extension TestPKI {
    /// An outbound client (libcurl) of authority `code`, trusting `ca` (this PKI's CA by
    /// default) and `moreCAs`, with the CRL files given.
    func client(
        _ code: String = "441800", ca: String? = nil, moreCAs: [String] = [], crls: [String] = [],
        options: PeerClient.Options = PeerClient.Options()
    ) throws -> PeerClient {
        try PeerClient(
            tls: PeerTLS(
                certificateFile: cert(code), keyFile: key(code),
                trust: CurrentTrust(try TrustStore(caFiles: [ca ?? self.ca] + moreCAs, crlFiles: crls))), options: options)
    }
}
