import DossierArchive
import Foundation

/// What timestamp tests add to the shared test PKI, made once per test process: a TSA
/// certificate of the trusted CA (`tsa`) and one of the unrelated CA (`otherTSA`), both with
/// extendedKeyUsage critical timeStamping, and a 441800 signing certificate valid only from
/// 40 to 10 days ago (`backdated`), for the backdating attack, issued by a CA of its own that
/// has been valid since 60 days ago (`pastCA`; the shared CA is only as old as the test run).
public struct TimestampPKI: Sendable {
    public let pki: TestPKI

    public static let shared: TimestampPKI = {
        let pki = TestPKI.shared
        let script = packageRoot.appendingPathComponent("Certs/make-dev-pki.sh").path
        for dir in [pki.dir, pki.other] {
            let result = try? run(script, ["--tsa", "tsa", dir])
            precondition(result?.status == 0, "make-dev-pki.sh --tsa failed: \(result?.stderr ?? "did not run")")
        }
        let days = { (n: Double) in stamp(Date().addingTimeInterval(n * 86_400)) }
        let result = try? run("bash", ["-c", backdatedScript, "make-backdated", pki.dir, days(-40), days(-10), days(-60), days(3600)])
        precondition(result?.status == 0, "making the backdated certificate failed: \(result?.stderr ?? "did not run")")
        return TimestampPKI(pki: pki)
    }()

    /// The trusted CA's TSA certificate and key.
    public var tsaCertificate: String { "\(pki.dir)/tsa.pem" }
    public var tsaKey: String { "\(pki.dir)/tsa.key" }
    /// The unrelated CA's TSA certificate and key (an untrusted TSA).
    public var otherTSACertificate: String { "\(pki.other)/tsa.pem" }
    public var otherTSAKey: String { "\(pki.other)/tsa.key" }
    /// The CA of the backdated certificate (trust it beside `pki.ca`).
    public var pastCA: String { "\(pki.dir)/past-ca.pem" }
    /// The trust for TSAs: the trusted CA.
    public func tsaTrust() throws -> TrustStore { try TrustStore(caFiles: [pki.ca]) }
    /// 441800's certificate that expired 10 days ago, having been valid for 30 days before.
    public func backdatedIdentity() throws -> SigningIdentity {
        try SigningIdentity(certificateFile: "\(pki.dir)/441800-backdated.pem", keyFile: "\(pki.dir)/441800-backdated.key")
    }
    /// The middle of the backdated certificate's validity: a signingTime a forger would claim.
    public var backdatedSigningTime: Date { Date().addingTimeInterval(-25 * 86_400) }

    private static func stamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    /// `$1` folder, `$2` notBefore, `$3` notAfter of 441800-backdated, `$4`, `$5` those of
    /// past-ca (YYYYMMDDHHMMSSZ).
    private static let backdatedScript = #"""
        set -euo pipefail
        dir="$1"; db=$(mktemp -d); trap 'rm -rf "$db"' EXIT
        touch "$db/index.txt"; echo 1000 >"$db/serial"
        cat >"$db/ca.cnf" <<CNF
        [ca]
        default_ca = dev
        [dev]
        database = $db/index.txt
        new_certs_dir = $db
        serial = $db/serial
        default_md = sha256
        policy = any
        unique_subject = no
        [any]
        countryName = optional
        organizationName = optional
        commonName = supplied
        serialNumber = optional
        [caext]
        basicConstraints=critical,CA:TRUE
        keyUsage=critical,keyCertSign,cRLSign
        subjectKeyIdentifier=hash
        [ext]
        basicConstraints=critical,CA:FALSE
        keyUsage=critical,digitalSignature,nonRepudiation,keyAgreement
        extendedKeyUsage=serverAuth,clientAuth,emailProtection
        subjectKeyIdentifier=hash
        authorityKeyIdentifier=keyid
        CNF
        openssl ecparam -name prime256v1 -genkey -noout -out "$dir/past-ca.key"
        openssl req -new -sha256 -key "$dir/past-ca.key" -subj "/O=dossierd development PKI/CN=dossierd past CA" -out "$db/ca.csr"
        openssl ca -batch -notext -selfsign -config "$db/ca.cnf" -extensions caext -keyfile "$dir/past-ca.key" \
          -startdate "$4" -enddate "$5" -in "$db/ca.csr" -out "$dir/past-ca.pem" 2>"$db/err" || { cat "$db/err" >&2; exit 1; }
        openssl ecparam -name prime256v1 -genkey -noout -out "$dir/441800-backdated.key"
        openssl req -new -sha256 -key "$dir/441800-backdated.key" -utf8 \
          -subj "/C=CN/O=dossierd development PKI/CN=Qingyuan Vehicle Administration Office/serialNumber=441800" -out "$db/req.csr"
        openssl ca -batch -notext -preserveDN -config "$db/ca.cnf" -extensions ext -cert "$dir/past-ca.pem" -keyfile "$dir/past-ca.key" \
          -startdate "$2" -enddate "$3" -in "$db/req.csr" -out "$dir/441800-backdated.pem" 2>"$db/err" || { cat "$db/err" >&2; exit 1; }
        chmod 0644 "$dir/441800-backdated.pem" "$dir/past-ca.pem"
        """#
}
