import ArgumentParser
import DossierArchive
import DossierSystem
import DossierText
import Foundation

/// `dossierctl directory`: signed authority directories, offline (docs/directory.md).
struct DirectoryCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: "directory", abstract: CtlText.directoryAbstract,
            subcommands: [DirectorySignCommand.self, DirectoryShowCommand.self, DirectoryVerifyCommand.self])
    }
}

/// Largest directory file read: 400 authorities are some hundred KiB.
private let maxDirectoryBytes = 16 << 20

/// Reads a file or exits 2 naming it.
private func readDirectoryFile(_ path: String) -> [UInt8] {
    do { return try FileIO.readAll(path, limit: maxDirectoryBytes) } catch { fail("\(error)") }
}

/// `dossierctl directory sign`: validates the JSON and signs it as attached CMS, DER.
struct DirectorySignCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "sign", abstract: CtlText.directorySignAbstract) }

    @Option(name: .customLong("in"), help: ArgumentHelp(CtlText.directoryInHelp)) var input: String
    @Option(help: ArgumentHelp(CtlText.directoryCertHelp)) var cert: String
    @Option(help: ArgumentHelp(CtlText.directoryKeyHelp)) var key: String
    @Option(help: ArgumentHelp(CtlText.directoryOutHelp)) var out: String

    func run() throws {
        let directory: AuthorityDirectory
        do { directory = try AuthorityDirectory.decode(readDirectoryFile(input)) } catch { fail("\(input): \(error)", code: 1) }
        let signed: [UInt8]
        do {
            signed = try SignedDirectory.sign(directory, identity: try SigningIdentity(certificateFile: cert, keyFile: key))
        } catch { fail("\(error)") }
        do throws(SystemError) {
            try DurableFile.write(signed, to: URL(fileURLWithPath: out), mode: 0o644)
        } catch { fail("\(error)") }
        print(CtlText.directorySigned(serial: directory.serial, count: directory.authorities.count, out: out))
    }
}

/// `dossierctl directory show [FILE]`: the content and signer of FILE, the signature not
/// judged; without FILE, of the directory the running daemon uses (`GET /directory` on the
/// admin socket: the signed copy it verified and keeps).
struct DirectoryShowCommand: ParsableCommand {
    static var configuration: CommandConfiguration { CommandConfiguration(commandName: "show", abstract: CtlText.directoryShowAbstract) }

    @Argument(help: ArgumentHelp(CtlText.directoryShowFileHelp)) var file: String?
    @Option(help: ArgumentHelp(CtlText.socketHelp)) var socket = AdminClient.defaultSocket
    @Flag(help: ArgumentHelp(CtlText.jsonHelp)) var json = false

    func run() throws {
        let bytes = file.map(readDirectoryFile) ?? AdminClient(socket: socket).bytes("/directory")
        let read: (directory: AuthorityDirectory, signer: CertificateInfo?)
        do { read = try SignedDirectory.read(bytes) } catch { fail("\(file ?? socket): \(error)", code: 1) }
        if json { return printJSON(read.directory) }
        printDirectory(read.directory, signer: read.signer)
    }
}

/// `dossierctl directory verify`: the signature against `--trust`, then the content.
struct DirectoryVerifyCommand: ParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "verify", abstract: CtlText.directoryVerifyAbstract)
    }

    @Argument(help: ArgumentHelp(CtlText.directoryFileHelp)) var file: String
    @Option(help: ArgumentHelp(CtlText.directoryTrustHelp)) var trust: [String]
    @Option(help: ArgumentHelp(CtlText.crlHelp)) var crl: [String] = []
    @Flag(help: ArgumentHelp(CtlText.jsonHelp)) var json = false

    /// `{valid, serial, signer, reason}`.
    struct Output: Encodable {
        var valid: Bool
        var serial: UInt64?
        var nextUpdate: Date?
        var authorities: Int?
        var signer: CertificateInfo?
        var reason: String?
    }

    func run() throws {
        let store: TrustStore
        do { store = try TrustStore(caFiles: trust, crlFiles: crl) } catch { fail("\(error)") }
        let bytes = readDirectoryFile(file)
        do throws(DirectoryError) {
            let (directory, signer) = try SignedDirectory.verify(bytes, trust: store)
            if json {
                printJSON(
                    Output(
                        valid: true, serial: directory.serial, nextUpdate: directory.nextUpdate,
                        authorities: directory.authorities.count, signer: signer))
            } else {
                print(CtlText.directoryVerdict(valid: true, detail: "serial \(directory.serial)"))
                printDirectory(directory, signer: signer, entries: false)
            }
        } catch {
            if json {
                printJSON(Output(valid: false, signer: SignatureCheck.signer(of: bytes), reason: "\(error)"))
            } else {
                print(CtlText.directoryVerdict(valid: false, detail: "\(error)"))
            }
            throw ExitCode(1)
        }
    }
}

/// The text form of a directory: its head, then one authority a line.
private func printDirectory(_ directory: AuthorityDirectory, signer: CertificateInfo?, entries: Bool = true) {
    print(
        CtlText.directoryHead(
            serial: directory.serial, issuer: directory.issuer, issuedAt: directory.issuedAt.formatted(.iso8601),
            nextUpdate: directory.nextUpdate.formatted(.iso8601), signer: signer?.subject))
    guard entries else { return }
    for entry in directory.authorities {
        let name = Language.current == .zh ? entry.nameZh : entry.name
        let modes = entry.modes.map(\.rawValue).joined(separator: "+")
        print(
            "\(entry.code)  \(CtlText.directoryStatus(entry.status.rawValue))  \(modes)  \(entry.url)  \(name)  pins:\(entry.spkiSha256.count)"
        )
    }
}
