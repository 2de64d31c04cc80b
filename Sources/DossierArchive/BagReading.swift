import DossierModel

/// Bag-level checks over what `ArchiveScanner` collected: the declaration, bag-info, the
/// payload and tag manifests against the files and digests actually seen, and Payload-Oxum.
enum BagReading {
    static let requiredLabels = [
        BagInfo.Label.externalIdentifier, BagInfo.Label.payloadOxum, BagInfo.Label.origin,
        BagInfo.Label.destination, BagInfo.Label.vin, BagInfo.Label.plate, BagInfo.Label.schema,
    ]

    /// Findings after which bag-level checks would only add noise.
    static func isFatal(_ finding: Finding) -> Bool {
        ["truncated", "not-a-tar", "size-limit"].contains(finding.code)
    }

    /// The report's descriptive part, and the scanner's findings.
    static func report(_ contents: ArchiveContents) -> VerificationReport {
        let fields = contents.tagFiles[BagInfo.fileName].flatMap(BagInfo.parse) ?? []
        func first(_ label: String) -> String? { fields.first { $0.0 == label }?.1 }
        return VerificationReport(
            valid: contents.findings.isEmpty,
            archiveId: contents.root,
            origin: first(BagInfo.Label.origin),
            destination: first(BagInfo.Label.destination),
            signer: nil, signingTime: nil,
            reasons: contents.findings,
            bagInfo: fields.map { .init(label: $0.0, value: $0.1) },
            files: contents.payload.map { .init(path: $0.key, size: $0.value.size, sha256: $0.value.digest) }
                .sorted { $0.path < $1.path },
            archiveDigest: contents.archiveDigest?.hexString,
            archiveSize: contents.archiveSize)
    }

    /// The profile bag-info names (`sha256` when it names none), or the finding
    /// `profile-unknown` for a name this verifier does not know.
    static func profile(bagInfo: [VerificationReport.BagInfoField]) -> (profile: ArchiveProfile?, unknown: Finding?) {
        let named = bagInfo.first { $0.label == BagInfo.Label.profile }?.value
        guard let profile = ArchiveProfile(bagInfoValue: named) else {
            return (nil, Finding(.authenticity, "profile-unknown", "bag-info names the profile \(named ?? ""), not one of sha256, sm2-sm3"))
        }
        return (profile, nil)
    }

    /// Checks the bag in `profile`, whose digest `contents` must have been scanned in.
    static func checkBag(_ contents: ArchiveContents, bagInfo: [VerificationReport.BagInfoField], profile: ArchiveProfile) -> [Finding] {
        var findings: [Finding] = []
        if contents.root == nil {
            return [Finding(.integrity, "missing-file", "the archive holds no bag")]
        }
        if let declaration = contents.tagFiles[BagDeclaration.fileName] {
            if !BagDeclaration.isValid(declaration) {
                findings.append(Finding(.integrity, "bag-declaration", "bagit.txt is not a BagIt 1.0 / UTF-8 declaration"))
            }
        } else {
            findings.append(Finding(.integrity, "missing-file", BagDeclaration.fileName))
        }
        findings += checkBagInfo(contents, bagInfo: bagInfo)
        findings += checkPayload(contents, manifest: profile.payloadManifest)
        findings += checkTagManifest(contents, profile: profile)
        return findings
    }

    private static func checkBagInfo(_ contents: ArchiveContents, bagInfo: [VerificationReport.BagInfoField]) -> [Finding] {
        guard let raw = contents.tagFiles[BagInfo.fileName] else { return [Finding(.integrity, "missing-file", BagInfo.fileName)] }
        guard BagInfo.parse(raw) != nil else {
            return [Finding(.integrity, "bag-info-malformed", "bag-info.txt is not Label: value lines in UTF-8")]
        }
        var findings: [Finding] = []
        func value(_ label: String) -> String? { bagInfo.first { $0.label == label }?.value }
        for label in requiredLabels where value(label) == nil {
            findings.append(Finding(.integrity, "bag-info-incomplete", "bag-info.txt has no \(label)"))
        }
        if let id = value(BagInfo.Label.externalIdentifier), id != contents.root {
            findings.append(Finding(.integrity, "id-mismatch", "External-Identifier \(id) but the bag folder is \(contents.root ?? "")"))
        }
        if let oxum = value(BagInfo.Label.payloadOxum) {
            let octets = contents.payload.values.reduce(UInt64(0)) { $0 + $1.size }
            let count = contents.payload.count
            if oxum != "\(octets).\(count)" {
                findings.append(Finding(.integrity, "oxum-mismatch", "Payload-Oxum \(oxum), payload is \(octets).\(count)"))
            }
        }
        return findings
    }

    private static func checkPayload(_ contents: ArchiveContents, manifest: String) -> [Finding] {
        guard let raw = contents.tagFiles[manifest] else {
            return [Finding(.integrity, "missing-file", manifest)]
        }
        guard let entries = Manifest.parse(raw) else {
            return [Finding(.integrity, "manifest-malformed", "\(manifest) has a malformed line")]
        }
        var findings: [Finding] = []
        var listed = Set<String>()
        for entry in entries {
            guard listed.insert(entry.path).inserted else {
                findings.append(Finding(.integrity, "manifest-malformed", "\(entry.path) is listed twice"))
                continue
            }
            guard let actual = contents.payload[entry.path] else {
                findings.append(Finding(.integrity, "missing-file", "\(entry.path) is in the manifest but not in the archive"))
                continue
            }
            if actual.digest != entry.digest {
                findings.append(
                    Finding(.authenticity, "digest-mismatch", "\(entry.path): manifest \(entry.digest), actual \(actual.digest)"))
            }
        }
        for path in contents.payload.keys.sorted() where !listed.contains(path) {
            findings.append(Finding(.integrity, "unlisted-file", "\(path) is not in the manifest"))
        }
        return findings
    }

    /// The tag manifest must cover the declaration, bag-info and payload manifest, and every
    /// other tag file (so nothing outside the signature travels unnoticed).
    private static func checkTagManifest(_ contents: ArchiveContents, profile: ArchiveProfile) -> [Finding] {
        let tagManifest = profile.tagManifest
        guard let raw = contents.tagFiles[tagManifest] else {
            return [Finding(.integrity, "missing-file", tagManifest)]
        }
        guard let entries = Manifest.parse(raw) else {
            return [Finding(.integrity, "manifest-malformed", "\(tagManifest) has a malformed line")]
        }
        var findings: [Finding] = []
        var listed = Set<String>()
        for entry in entries {
            listed.insert(entry.path)
            guard let bytes = contents.tagFiles[entry.path] else {
                findings.append(Finding(.integrity, "missing-file", "\(entry.path) is in the tag manifest but not in the archive"))
                continue
            }
            let actual = profile.digest.hex(of: bytes)
            if actual != entry.digest {
                findings.append(Finding(.authenticity, "digest-mismatch", "\(entry.path): tag manifest \(entry.digest), actual \(actual)"))
            }
        }
        for required in [BagDeclaration.fileName, BagInfo.fileName, profile.payloadManifest] where !listed.contains(required) {
            findings.append(Finding(.authenticity, "tagmanifest-incomplete", "\(required) is not covered by \(tagManifest)"))
        }
        let unsigned = contents.tagFiles.keys.filter {
            !listed.contains($0) && !$0.hasPrefix("signatures/") && !$0.hasPrefix("tagmanifest-")
        }
        for path in unsigned.sorted() {
            findings.append(Finding(.integrity, "unlisted-file", "\(path) is not covered by \(tagManifest)"))
        }
        return findings
    }
}
