import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// `CertificateInfo.authority(der:)`, asked of every request's client certificate, gives each
/// certificate's own code, the same on every call (from the second on, out of the process's
/// certificate cache), and nil for a certificate without a code or bytes that are none.
@Suite struct CertificateAuthorityTests {
    let pki = TestPKI.shared

    /// The DER of the test PKI's certificate `name`.
    func der(_ name: String) throws -> [UInt8] {
        let pem = try String(contentsOfFile: pki.cert(name), encoding: .utf8)
        let base64 = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(try #require(Data(base64Encoded: base64)))
    }

    @Test func eachCertificateGivesItsOwnCodeEveryTime() throws {
        let (origin, destination, none) = (try der("441800"), try der("430100"), try der("nocode"))
        for _ in 0..<3 {
            #expect(CertificateInfo.authority(der: origin) == "441800")
            #expect(CertificateInfo.authority(der: destination) == "430100")
            #expect(CertificateInfo.authority(der: none) == nil)
        }
        #expect(CertificateInfo.authority(der: Array(origin.dropLast())) == nil)
        #expect(CertificateInfo.authority(der: []) == nil)
    }
}
