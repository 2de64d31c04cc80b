import Foundation

/// A directory as published: attached CMS SignedData (DER) whose content is the directory's
/// JSON, signed by the directory operator (docs/directory.md).
public enum SignedDirectory {
    /// Signs `directory` (validated first) as attached CMS, DER.
    /// - Throws: `DirectoryError.invalid` for a bad field; `ArchiveError.signing` when OpenSSL fails.
    public static func sign(_ directory: AuthorityDirectory, identity: SigningIdentity) throws -> [UInt8] {
        try directory.validate()
        return try identity.signAttached(directory.encoded())
    }

    /// Verifies the signature of `signed` against `trust` (its anchors and CRLs, at `now`) and
    /// returns the directory it carries and its signer.
    /// - Throws: `DirectoryError.signature` with the verifier's reasons (untrusted, expired or
    ///   revoked signer, tampered content), `.malformed` or `.invalid` for the content.
    public static func verify(
        _ signed: [UInt8], trust: TrustStore, now: Date = Date()
    ) throws(DirectoryError) -> (directory: AuthorityDirectory, signer: CertificateInfo?) {
        let result = SignatureCheck.verifyAttached(signature: signed, trust: trust, now: now)
        guard result.findings.isEmpty, let content = result.content else {
            throw .signature(result.findings.map { "\($0.code): \($0.detail)" })
        }
        return (try AuthorityDirectory.decode(content), result.signer)
    }

    /// Reads the directory and signer of `signed` without judging the signature (for
    /// `dossierctl directory show`).
    /// - Throws: `DirectoryError.malformed` when it is not a signed directory, `.invalid` for a bad field.
    public static func read(_ signed: [UInt8]) throws(DirectoryError) -> (directory: AuthorityDirectory, signer: CertificateInfo?) {
        guard let content = SignatureCheck.unverifiedContent(of: signed) else {
            throw .malformed("not an attached CMS signature")
        }
        return (try AuthorityDirectory.decode(content), SignatureCheck.signer(of: signed))
    }
}
