import Foundation

/// Attacks on verification memory (issue 13), written as archive files: the two, of about
/// a given size, streamed block by block so that even 512 MiB ones cost no memory to make, and a
/// signature carrying many certificates that OpenSSL parses into many times their size.
public enum HostileArchive {
    /// 64 KiB pax headers, each with a key of its own, chained in front of a single entry: a
    /// reader that merges them keeps them all.
    public static func paxChain(id: String, size: UInt64, to path: String) throws {
        try write(to: path, size: size) { tar, i in
            tar.pax([(key: "k\(i)", value: String(repeating: "v", count: 65_000))])
        } last: { tar in
            tar.file("\(id)/bagit.txt", Array("BagIt-Version: 1.0\n".utf8))
        }
    }

    /// Files outside `data/`, each just under the 4 MiB a tag file may have: a reader that
    /// holds every tag file holds them all.
    public static func tagFlood(id: String, size: UInt64, to path: String) throws {
        let content = [UInt8](repeating: UInt8(ascii: "t"), count: (4 << 20) - 512)
        try write(to: path, size: size) { tar, i in
            tar.file("\(id)/tag-\(i).txt", content)
        } last: { _ in
        }
    }

    /// `archive` (a packed `.dva` of the sha256 profile whose id is `id`) with its signature made
    /// again by `signer` (certificate and key files), carrying besides `count` certificates of
    /// `names` short names each, every one named as the signer's issuer, so that a search for
    /// that issuer reads them all (OpenSSL 3.0 parses 15 KiB of such a certificate into some
    /// 340 KiB). Written to `path`, made with `openssl` and `tar` in `scratch`.
    public static func certificateFlood(
        archive: String, id: String, signer: (certificate: String, key: String), count: Int, names: Int, scratch: TempDir,
        to path: String
    ) throws {
        let bag = scratch.path("flood-bag-\(id)")
        try FileManager.default.createDirectory(atPath: bag, withIntermediateDirectories: true)
        try runSucceeding("tar", ["xf", archive, "-C", bag])
        // openssl's -subj form of the signer's issuer: RFC 2253 lists the RDNs last first.
        let issuer = try runSucceeding("openssl", ["x509", "-in", signer.certificate, "-noout", "-issuer", "-nameopt", "RFC2253"])
            .trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("issuer=".count).split(separator: ",").reversed()
            .map { "/\($0)" }.joined()
        let alternative = (0..<names).map { "DNS:\(String($0, radix: 16))" }.joined(separator: ",")
        let one = scratch.path("flood-one-\(id).der")
        try runSucceeding(
            "openssl",
            [
                "req", "-new", "-x509", "-key", signer.key, "-subj", issuer, "-addext", "subjectAltName=\(alternative)", "-days", "30",
                "-outform", "DER", "-out", one,
            ])
        // Each a different DER (the last byte of its signature changed), which OpenSSL parses all the same.
        let der = Array(try Data(contentsOf: URL(fileURLWithPath: one)))
        let bundle = (0..<count).map { index -> String in
            var variant = der
            variant[variant.count - 1] ^= UInt8(truncatingIfNeeded: index + 1)
            let body = Data(variant).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
            return "-----BEGIN CERTIFICATE-----\n\(body)\n-----END CERTIFICATE-----\n"
        }
        let bundleFile = scratch.path("flood-bundle-\(id).pem")
        try Data(bundle.joined().utf8).write(to: URL(fileURLWithPath: bundleFile))
        let root = "\(bag)/\(id)"
        try runSucceeding(
            "openssl",
            [
                "cms", "-sign", "-binary", "-in", "\(root)/tagmanifest-sha256.txt", "-signer", signer.certificate, "-inkey", signer.key,
                "-certfile", bundleFile, "-outform", "PEM", "-out", "\(root)/signatures/tagmanifest-sha256.txt.p7s",
            ])
        let order = try runSucceeding("tar", ["tf", archive]).split(separator: "\n").map(String.init)
        try runSucceeding("tar", ["--format=ustar", "--numeric-owner", "--no-recursion", "-cf", path, "-C", bag] + order)
    }

    private static func write(
        to path: String, size: UInt64, piece: (inout RawTar, Int) -> Void,
        last: (inout RawTar) -> Void
    ) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw HarnessError.failed("cannot create \(path)") }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var written: UInt64 = 0
        var i = 0
        while written < size {
            var tar = RawTar()
            piece(&tar, i)
            try handle.write(contentsOf: tar.bytes)
            written += UInt64(tar.bytes.count)
            i += 1
        }
        var tail = RawTar()
        last(&tail)
        tail.end()
        try handle.write(contentsOf: tail.bytes)
    }
}
