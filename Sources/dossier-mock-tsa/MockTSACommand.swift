import ArgumentParser
import Foundation
import Hummingbird
import Logging

/// `dossier-mock-tsa`: an RFC 3161 time-stamping authority over plain HTTP for tests and the
/// demo. `POST /` with `application/timestamp-query` answers `application/timestamp-reply`;
/// `PUT /fault` with a body of `none`, `down`, `slow` or `wrong-imprint` changes the fault (no
/// authentication: bind it to loopback). Once listening it prints one line on stdout:
/// `listening <host>:<port>`.
@main
struct MockTSACommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dossier-mock-tsa",
        abstract: "An RFC 3161 time-stamping authority for tests and demos, with selectable faults.")

    @Option(help: "The TSA certificate (PEM, extendedKeyUsage critical timeStamping), then any intermediates.")
    var cert: String
    @Option(help: "Its private key (PEM).")
    var key: String
    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).")
    var port = 0
    @Option(help: "The fault at start: \(TSAFault.allCases.map(\.rawValue).joined(separator: ", ")).")
    var fault = TSAFault.none
    @Option(name: .customLong("slow-seconds"), help: "How long the slow fault holds each answer back.")
    var slowSeconds = 5.0

    func run() async throws {
        var logger = Logger(label: "dossier-mock-tsa")
        logger.logLevel = .warning
        let responder = try TimestampResponder(certificateFile: cert, keyFile: key)
        let current = CurrentFault(fault)
        let delay = slowSeconds
        let router = Router(context: BasicRequestContext.self)
        router.post("/") { request, _ in
            var request = request
            let query = try await request.collectBody(upTo: 64 << 10)
            switch current.value {
            case .down:
                return Response(status: .serviceUnavailable)
            case .slow:
                try await Task.sleep(for: .seconds(delay))
            case .none, .wrongImprint:
                break
            }
            guard request.headers[.contentType]?.lowercased() == "application/timestamp-query" else {
                return Response(status: .unsupportedMediaType)
            }
            let answer = try responder.respond(to: Array(buffer: query), wrongImprint: current.value == .wrongImprint)
            return Response(
                status: .ok, headers: [.contentType: "application/timestamp-reply"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer)))
        }
        router.put("/fault") { request, _ in
            var request = request
            let body = try await request.collectBody(upTo: 1024)
            let text = String(buffer: body).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let fault = TSAFault(rawValue: text) else { return Response(status: .badRequest) }
            current.value = fault
            return Response(status: .noContent)
        }
        let host = host
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                let line = "listening \(host):\(channel.localAddress?.port ?? 0)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            },
            logger: logger)
        try await app.runService()
    }
}
