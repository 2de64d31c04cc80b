import COpenSSL
@testable import DossierArchive
import DossierTestSupport
import Foundation
import Testing

/// The shortcut that reuses carried certificates parsed before (`CarriedCertificates`) must give
/// every signature, genuine or damaged, the verdict a full parse gives.
@Suite struct CarriedCertificatesTests {
    let pki = TestPKI.shared

    /// What a verdict is made of, minus OpenSSL's wording of its errors.
    struct Verdict: Equatable {
        var codes: [String]
        var signer: String?
        var content: [UInt8]?
        var signingTime: Date?
    }

    func verdict(_ signature: [UInt8], trust: TrustStore, certificates: CertificateCache?) -> Verdict {
        let result = SignatureCheck.verify(
            signature: signature, detachedContent: nil, trust: trust, timestamps: .none, profile: nil, now: Date(),
            certificates: certificates)
        return Verdict(
            codes: result.findings.map(\.code), signer: result.signer?.subject, content: result.content, signingTime: result.signingTime)
    }

    @Test func splitTakesOutExactlyTheCarriedCertificate() throws {
        let signed = try pki.identity("430100").signAttached(Array(#"{"receipt":true}"#.utf8))
        let split = try #require(CarriedCertificates.split(signed))
        #expect(split.certificates.count == 1)
        #expect(Array(split.certificates[0]) == (try der(ofPEM: pki.cert("430100"))))
        // What is left parses as SignedData that carries no certificate.
        let rest = try #require(OpenSSL.withMemoryBIO(split.rest) { d2i_CMS_bio($0, nil) } ?? nil)
        defer { CMS_ContentInfo_free(rest) }
        #expect(CMS_get1_certs(rest) == nil)
    }

    @Test func whatIsNotPlainDERSignedDataWithCertificatesIsLeftToTheFullParse() throws {
        let signed = try pki.identity("430100").signAttached(Array("x".utf8))
        #expect(CarriedCertificates.split(Array("-----BEGIN CMS-----\n".utf8) + signed) == nil)
        #expect(CarriedCertificates.split(signed + [0]) == nil, "trailing bytes")
        #expect(CarriedCertificates.split(Array(signed.dropLast())) == nil, "truncated")
        #expect(CarriedCertificates.split([0x30, 0x80, 0x00, 0x00]) == nil, "indefinite length")
        #expect(CarriedCertificates.split([]) == nil)
        let bare = try #require(CarriedCertificates.split(signed)).rest
        #expect(CarriedCertificates.split(bare) == nil, "no certificates to take out")
    }

    @Test func genuineAndDamagedSignaturesGetTheVerdictOfAFullParse() throws {
        let trust = try pki.trust()
        let cache = CertificateCache(limit: 16)
        var signatures = [
            try pki.identity("430100").signAttached(Array(#"{"archiveId":"a","status":"accepted"}"#.utf8)),
            try pki.expiredIdentity("441800").signAttached(Array("expired".utf8)),
            try pki.untrustedIdentity("441800").signAttached(Array("untrusted".utf8)),
            try pki.sm2Identity("430100").signAttached(Array("sm2".utf8)),
        ]
        // Bounded and reproducible: 400 single-byte changes and 40 truncations of the first.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        let genuine = signatures[0]
        for _ in 0..<400 {
            var damaged = genuine
            damaged[next(damaged.count)] ^= UInt8(1 + next(255))
            signatures.append(damaged)
        }
        for _ in 0..<40 { signatures.append(Array(genuine.prefix(next(genuine.count)))) }
        // Archive signatures are PEM: decoded, they take the same shortcut.
        let pem = try pki.identity("441800").signDetached(Array("tag manifest".utf8))
        #expect(OpenSSL.der(fromPEM: pem, label: PEM_STRING_CMS).flatMap(CarriedCertificates.split) != nil)
        signatures.append(pem)
        for _ in 0..<100 {
            var damaged = pem
            damaged[next(damaged.count)] ^= UInt8(1 + next(127))
            signatures.append(damaged)
        }
        for signature in signatures {
            let full = verdict(signature, trust: trust, certificates: nil)
            #expect(verdict(signature, trust: trust, certificates: cache) == full)
            // A second time, with the certificate now known.
            #expect(verdict(signature, trust: trust, certificates: cache) == full)
        }
        #expect(verdict(genuine, trust: trust, certificates: cache).codes.isEmpty)
    }

    /// A certificate's DER from its PEM file.
    func der(ofPEM path: String) throws -> [UInt8] {
        let body = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return Array(try #require(Data(base64Encoded: body)))
    }

    /// `signature` with `extra` certificates added to those it carries (they are not signed, so
    /// the signature stays valid).
    func carrying(_ signature: [UInt8], also extra: [[UInt8]]) throws -> [UInt8] {
        let cms = try #require(OpenSSL.withMemoryBIO(signature) { d2i_CMS_bio($0, nil) } ?? nil)
        defer { CMS_ContentInfo_free(cms) }
        for bytes in extra {
            let x509 = try #require(
                bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
                    var cursor = buffer.baseAddress
                    return d2i_X509(nil, &cursor, buffer.count)
                })
            defer { X509_free(x509) }
            #expect(CMS_add1_cert(cms, x509) == 1)
        }
        return try #require(OpenSSL.collect { i2d_CMS_bio($0, cms) })
    }

    /// A certificate of 1,500 short names (7.6 KiB of DER), self-signed by `key`.
    func certificateOfManyNames(key: String, in scratch: TempDir) throws -> [UInt8] {
        let names = (0..<1500).map { "DNS:\(String($0, radix: 16))" }.joined(separator: ",")
        let made = try run(
            "openssl",
            [
                "req", "-new", "-x509", "-key", key, "-subj", "/CN=many names", "-addext", "subjectAltName=\(names)", "-days", "30",
                "-outform", "DER", "-out", scratch.path("many.der"),
            ])
        #expect(made.status == 0, "\(made.stderr)")
        return Array(try Data(contentsOf: scratch.url.appendingPathComponent("many.der")))
    }

    @Test func aSignatureParsedIsBoundedItsContentIsNot() throws {
        let trust = try pki.trust()
        let identity = try pki.identity("430100")
        let content = [UInt8](repeating: UInt8(ascii: "{"), count: 1 << 20)
        let attached = try identity.signAttached(content)
        #expect(CarriedCertificates.contentBytes(in: attached) == content.count)
        #expect(
            verdict(attached, trust: trust, certificates: nil) == verdict(attached, trust: trust, certificates: CertificateCache(limit: 4)))
        #expect(verdict(attached, trust: trust, certificates: nil).codes.isEmpty)
        let detached = try #require(OpenSSL.der(fromPEM: try identity.signDetached(Array("x".utf8)), label: PEM_STRING_CMS))
        #expect(CarriedCertificates.contentBytes(in: detached) == 0)
        #expect(CarriedCertificates.contentBytes(in: Array("not DER".utf8)) == nil)
        // 300 KiB of certificates beside the signer's, each a different DER (its signature's last
        // byte changed: OpenSSL parses it all the same): refused before OpenSSL parses any.
        let scratch = try TempDir()
        let many = try certificateOfManyNames(key: pki.key("441800"), in: scratch)
        let extra = (0..<(300 << 10) / many.count + 1).map { index -> [UInt8] in
            var variant = many
            variant[variant.count - 1] ^= UInt8(index + 1)
            return variant
        }
        let padded = try carrying(try identity.signAttached(Array("small".utf8)), also: extra)
        let refused = SignatureCheck.verifyAttached(signature: padded, trust: trust)
        #expect(refused.findings.map(\.code) == ["signature-malformed"])
        let besides = padded.count - "small".utf8.count
        #expect(refused.findings.first?.detail == "\(besides) bytes besides the signed content; at most \(SignatureCheck.largestParsed)")
        #expect(refused.signer == nil)
    }

    @Test func onlyTheCertificatesOfATrustedChainAreKept() throws {
        let trust = try pki.trust()
        let cache = CertificateCache(limit: 16)
        // Signers that do not verify: parsed for each signature, never kept.
        for signature in [try pki.untrustedIdentity("441800").signAttached([1]), try pki.expiredIdentity("441800").signAttached([2])] {
            #expect(!verdict(signature, trust: trust, certificates: cache).codes.isEmpty)
        }
        #expect(cache.count == 0)
        // Carried beside a genuine signer: a stranger's certificate, and one of 1,500 names,
        // whose parsed form (the names read, as chain building does) is some 20 times its DER.
        let scratch = try TempDir()
        let many = try certificateOfManyNames(key: pki.key("441800"), in: scratch)
        #expect(many.count <= CertificateCache.largestKept, "small enough to be kept, were it kept")
        let genuine = try pki.identity("430100").signAttached(Array(#"{"receipt":true}"#.utf8))
        let padded = try carrying(genuine, also: [many, try der(ofPEM: "\(pki.other)/441800.pem")])
        #expect(verdict(padded, trust: trust, certificates: cache).codes.isEmpty)
        #expect(cache.count == 1)
        let signer = try der(ofPEM: pki.cert("430100"))
        #expect(cache.certificate(der: signer[...]) === cache.certificate(der: signer[...]), "the signer's, kept")
        #expect(cache.certificate(der: many[...]) !== cache.certificate(der: many[...]), "parsed each time")
    }

    @Test func theCacheIsBoundedSharesWhatItKeptAndKeepsNoSM2Certificate() throws {
        let cache = CertificateCache(limit: 4)
        let ders = try ["441800", "430100", "110000", "440100", TestPKI.directoryOperator].map { try der(ofPEM: pki.cert($0)) }
        let first = try #require(cache.certificate(der: ders[0][...], keep: true))
        #expect(cache.certificate(der: ders[0][...]) === first)
        for der in ders.dropFirst() { #expect(cache.certificate(der: der[...], keep: true) != nil) }
        #expect(cache.count == 1, "the fifth found the cache full and emptied it")
        for index in 0..<10 { #expect(cache.certificate(der: [0x30, 0x01, UInt8(index)], keep: true) == nil) }
        #expect(cache.count == 1)
        let sm2 = try #require(CarriedCertificates.split(try pki.sm2Identity("430100").signAttached([1]))).certificates[0]
        #expect(cache.certificate(der: sm2, keep: true) == nil)
        #expect(cache.certificate(der: ArraySlice(repeating: 0x30, count: CertificateCache.largestKept + 1), keep: true) == nil)
        #expect(cache.count == 1)
    }
}
