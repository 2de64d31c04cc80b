import DossierModel
import DossierSystem
import Foundation

/// What goes into bag-info besides what the packer computes (docs/archive-format.md).
public struct BagIdentity: Sendable, Equatable {
    public var origin: String
    public var destination: String
    public var vin: String
    public var plate: String
    public var schema: String
    public var sourceOrganization: String

    public init(origin: String, destination: String, vin: String, plate: String, schema: String, sourceOrganization: String) {
        self.origin = origin
        self.destination = destination
        self.vin = vin
        self.plate = plate
        self.schema = schema
        self.sourceOrganization = sourceOrganization
    }
}

/// A packed archive, durable on disk.
public struct PackResult: Sendable, Codable, Equatable {
    public var id: String
    public var path: String
    public var size: UInt64
    /// SHA-256 of the whole archive, lowercase hex.
    public var sha256: String
    /// SHA-256 of the payload manifest (every document's and the record's digest by path),
    /// lowercase hex: the same for two archives of the same dossier, whatever their ids and
    /// packing times.
    public var payloadDigest: String
    /// Why the signature carries no timestamp token although timestamping was configured (not
    /// required, and the TSA failed); nil when it carries one or none was asked for.
    public var timestampProblem: String?
    /// Findings that did not block packing (a credit list hit under `action = "warn"`); nil: none.
    public var warnings: [Problem]? = nil
}

/// Packs a dossier folder (`dossier.json` + `documents/`) into a signed `.dva` archive, in the
/// profile of the signing key (`SigningIdentity.profile`: SM3 manifests for an SM2 key), in one
/// streaming pass: each document is read once, hashed for the manifest while it is copied, and
/// the archive is hashed on a second thread and written (direct I/O, when large) on a third.
/// Memory stays a few MiB whatever the dossier's size. The archive appears under its final name
/// only when complete and fsynced.
public enum ArchivePacker {
    public static let softwareAgent = "dossierd/0.1.0"

    /// Dossiers of at least this many payload bytes are written around the page cache
    /// (`O_DIRECT`, a fraction of a buffered write's CPU); smaller ones through it. A small
    /// archive is usually pushed moments later, and written directly that push read it back
    /// from the device: `dossier-bench e2e --rounds 3` (600 pushes of 398 KiB, the origin's and
    /// curl's) made 2,179 device reads of 265 MiB in all; written through the cache, 75 of
    /// 0.3 MiB.
    static let directWriteThreshold: UInt64 = 4 << 20

    /// Packs `dossierDirectory` into `<outputDirectory>/<fileName>` (default `<id>.dva`), signed
    /// as of `now` (bag-info's date and the signature's signingTime). With `timestamping`, the
    /// signature gets an RFC 3161 token over its value (docs/archive-format.md, "Timestamp").
    /// With `syncingOutputDirectory` false only the archive's bytes are durable on return, not
    /// its name: for a staging folder the archive leaves by a rename its next owner syncs.
    /// - Throws: `ArchiveError.signerNotOrigin` when the identity is not the origin's,
    ///   `.dossier` for an unusable folder (naming the file), `.documentChanged`, `.signing`,
    ///   `.timestamp` when a required token could not be had within `timestamping.wait` (nothing
    ///   is left on disk; the same dossier can be packed again later).
    public static func pack(
        dossierDirectory: URL, bag: BagIdentity, identity: SigningIdentity, outputDirectory: URL,
        fileName: String? = nil, id: String = ArchiveID.make(), now: Date = Date(), timestamping: Timestamping? = nil,
        syncingOutputDirectory: Bool = true
    ) throws -> PackResult {
        try requireOrigin(identity, signing: bag)
        return try pack(
            dossierDirectory: dossierDirectory, identity: identity, outputDirectory: outputDirectory, fileName: fileName, id: id,
            now: now, timestamping: timestamping, syncingOutputDirectory: syncingOutputDirectory, proceed: {}, bag: { bag })
    }

    /// `pack`, for a caller that is still deciding whether the dossier may be packed: `proceed`
    /// is called before each buffer of documents is read, and `bag` once the payload is written
    /// (it may wait); either throws to stop packing, leaving nothing on disk.
    static func pack(
        dossierDirectory: URL, identity: SigningIdentity, outputDirectory: URL, fileName: String?, id: String, now: Date,
        timestamping: Timestamping?, syncingOutputDirectory: Bool, proceed: () throws -> Void, bag decide: () throws -> BagIdentity
    ) throws -> PackResult {
        let profile = identity.profile
        let payload = try listPayload(dossierDirectory)
        let payloadBytes = payload.reduce(0) { $0 + $1.size }
        let file = try DurableFile(
            finalURL: outputDirectory.appendingPathComponent(fileName ?? "\(id).dva", isDirectory: false),
            direct: payloadBytes >= directWriteThreshold)
        let output = ArchiveOutput(file: file)
        defer { output.drain() }
        let mtime = Int(now.timeIntervalSince1970)
        let declaration = Array(BagDeclaration.text.utf8)
        try writeEntry("\(id)/\(BagDeclaration.fileName)", bytes: declaration, to: output, mtime: mtime)

        var manifest: [(path: String, digest: String)] = []
        for item in payload {
            try writeHeader("\(id)/\(item.path)", size: item.size, to: output, mtime: mtime)
            manifest.append((item.path, try copy(item, into: output, digest: profile.digest, proceed: proceed)))
            try output.padToBlock()
        }
        let bag = try decide()
        try requireOrigin(identity, signing: bag)
        let manifestBytes = Manifest.render(manifest)
        let info = BagInfo.render([
            (BagInfo.Label.sourceOrganization, bag.sourceOrganization),
            (BagInfo.Label.externalIdentifier, id),
            (BagInfo.Label.baggingDate, baggingDate(now)),
            (BagInfo.Label.payloadOxum, "\(payloadBytes).\(payload.count)"),
            (BagInfo.Label.softwareAgent, softwareAgent),
            (BagInfo.Label.origin, bag.origin),
            (BagInfo.Label.destination, bag.destination),
            (BagInfo.Label.vin, bag.vin),
            (BagInfo.Label.plate, bag.plate),
            (BagInfo.Label.schema, bag.schema),
            (BagInfo.Label.profile, profile.rawValue),
        ])
        let tagManifest = Manifest.render([
            (BagDeclaration.fileName, profile.digest.hex(of: declaration)),
            (BagInfo.fileName, profile.digest.hex(of: info)),
            (profile.payloadManifest, profile.digest.hex(of: manifestBytes)),
        ])
        var timestampProblem: String?
        let signature = try identity.signDetached(tagManifest, at: now) { (value) throws(ArchiveError) -> [UInt8]? in
            guard let timestamping else { return nil }
            do throws(TimestampError) { return try timestamping.token(over: value) } catch {
                guard !timestamping.required else { throw .timestamp(error) }
                timestampProblem = "\(error)"
                return nil
            }
        }
        try writeEntry("\(id)/\(profile.payloadManifest)", bytes: manifestBytes, to: output, mtime: mtime)
        try writeEntry("\(id)/\(BagInfo.fileName)", bytes: info, to: output, mtime: mtime)
        try writeEntry("\(id)/\(profile.tagManifest)", bytes: tagManifest, to: output, mtime: mtime)
        try writeEntry("\(id)/\(profile.signaturePath)", bytes: signature, to: output, mtime: mtime)
        try output.append([UInt8](repeating: 0, count: 2 * TarFormat.blockSize))
        let size = output.count
        let digest = try output.commit(syncingDirectory: syncingOutputDirectory)
        return PackResult(
            id: id, path: file.finalURL.path, size: size, sha256: digest.hexString, payloadDigest: SHA256.hex(of: manifestBytes),
            timestampProblem: timestampProblem)
    }

    struct PayloadFile {
        var path: String
        /// Where the file is on disk.
        var source: String
        var size: UInt64
    }

    /// `data/dossier.json` then every regular file under `documents/`, sorted; anything else
    /// (links, devices) is refused rather than silently skipped, and so are more documents (or
    /// more of their samples) than a verifier accepts by default.
    static func listPayload(_ dir: URL) throws -> [PayloadFile] {
        let record = dir.path + "/dossier.json"
        var files = [PayloadFile(path: "data/dossier.json", source: record, size: try regularFileSize(record))]
        let documents = dir.path + "/documents"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: documents, isDirectory: &isDirectory), isDirectory.boolValue else {
            return files
        }
        var found: [PayloadFile] = []
        try collect(documents, relative: "data/documents", into: &found)
        // Receivers count the documents and their samples against the same limits.
        var budget = Budget(limits: .default)
        for file in files + found {
            if let crossed = budget.admit(file.path, size: file.size) {
                throw ArchiveError.dossier(path: documents, reason: "receivers refuse it: \(crossed.detail)")
            }
        }
        files += found.sorted { $0.path < $1.path }
        return files
    }

    private static func collect(_ dir: String, relative: String, into files: inout [PayloadFile]) throws {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: dir) } catch {
            throw ArchiveError.dossier(path: dir, reason: "cannot list the folder")
        }
        for name in names {
            let source = dir + "/" + name
            var st = stat()
            guard lstat(source, &st) == 0 else { throw SystemError.last(.stat, path: source) }
            switch st.st_mode & S_IFMT {
            case S_IFDIR: try collect(source, relative: "\(relative)/\(name)", into: &files)
            case S_IFREG: files.append(PayloadFile(path: "\(relative)/\(name)", source: source, size: UInt64(st.st_size)))
            default: throw ArchiveError.dossier(path: source, reason: "not a regular file (links and devices are not packed)")
            }
        }
    }

    private static func regularFileSize(_ path: String) throws -> UInt64 {
        var st = stat()
        guard lstat(path, &st) == 0 else {
            throw ArchiveError.dossier(path: path, reason: errno == ENOENT ? "missing" : "cannot be read")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw ArchiveError.dossier(path: path, reason: "not a regular file") }
        return UInt64(st.st_size)
    }

    private static func requireOrigin(_ identity: SigningIdentity, signing bag: BagIdentity) throws(ArchiveError) {
        guard identity.info.authority == bag.origin else {
            throw .signerNotOrigin(certificateCode: identity.info.authority, origin: bag.origin)
        }
    }

    /// Streams one file into the archive, returning its digest (hex).
    private static func copy(
        _ item: PayloadFile, into output: ArchiveOutput, digest: DigestAlgorithm, proceed: () throws -> Void
    ) throws -> String {
        let fd = try FileIO.openForReading(item.source)
        defer { close(fd) }
        posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        let hash = MessageDigest(digest)
        var left = item.size
        while left > 0 {
            try proceed()
            let n = try output.fillDirectly(limit: Int(min(left, UInt64(ArchiveOutput.bufferSize)))) { room in
                guard let base = room.baseAddress else { return 0 }
                let n = try FileIO.readSome(fd: fd, into: base, count: room.count, path: item.source)
                hash.update(UnsafeRawBufferPointer(start: base, count: n))
                return n
            }
            guard n > 0 else { throw ArchiveError.documentChanged(path: item.source) }
            left -= UInt64(n)
        }
        var probe: UInt8 = 0
        guard try FileIO.readSome(fd: fd, into: &probe, count: 1, path: item.source) == 0 else {
            throw ArchiveError.documentChanged(path: item.source)
        }
        return hash.finish().hexString
    }

    private static func writeEntry(_ name: String, bytes: [UInt8], to output: ArchiveOutput, mtime: Int) throws {
        try writeHeader(name, size: UInt64(bytes.count), to: output, mtime: mtime)
        try output.append(bytes)
        try output.padToBlock()
    }

    /// A ustar header, preceded by a pax header when the name is long or not ASCII, or the size
    /// does not fit the octal field.
    private static func writeHeader(_ name: String, size: UInt64, to output: ArchiveOutput, mtime: Int) throws {
        let nameBytes = Array(name.utf8)
        let fits = nameBytes.count <= 100 && nameBytes.allSatisfy { $0 < 0x80 } && size <= 0o77777777777
        if !fits {
            var records = TarFormat.paxRecord(key: "path", value: nameBytes)
            if size > 0o77777777777 { records += TarFormat.paxRecord(key: "size", value: Array(String(size).utf8)) }
            let paxName = Array("PaxHeaders/\(ArchiveID.make())".utf8)
            try output.append(TarFormat.encode(name: paxName, size: UInt64(records.count), flag: UInt8(ascii: "x"), mtime: mtime))
            try output.append(records)
            try output.padToBlock()
        }
        let shortName = fits ? nameBytes : Array(nameBytes.suffix(100).drop { $0 & 0xC0 == 0x80 })
        try output.append(TarFormat.encode(name: shortName, size: size, flag: UInt8(ascii: "0"), mtime: mtime))
    }

    /// `yyyy-MM-dd` in UTC. Calendar arithmetic by `gmtime_r`: a DateFormatter costs a quarter
    /// of the packer's fixed time per archive.
    static func baggingDate(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func twoDigits(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(parts.tm_year + 1900)-\(twoDigits(parts.tm_mon + 1))-\(twoDigits(parts.tm_mday))"
    }
}
