import DossierTransport
import Foundation
import Hummingbird

/// Records every peer request in the `RequestLog`, whatever its outcome, and counts the uploads
/// answered at once (`PushConcurrency`, faults such as a latency included).
struct LogMiddleware: RouterMiddleware {
    typealias Context = PeerRequestContext
    let log: RequestLog
    let pushes: PushConcurrency

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = Date()
        let isPush = request.method == .put && request.uri.path.hasPrefix("/v1/archives/")
        if isPush { pushes.begin() }
        defer { if isPush { pushes.end() } }
        let caller = await context.callerAuthority()
        func record(_ status: Int, responseBytes: Int?, faults: [String]) {
            log.append(
                LoggedRequest(
                    time: started, method: request.method.rawValue, path: request.uri.path, caller: caller, status: status,
                    requestBytes: request.headers[.contentLength].flatMap { Int($0) }, responseBytes: responseBytes,
                    durationMs: Date().timeIntervalSince(started) * 1000, faults: faults))
        }
        do {
            let response = try await next(request, context)
            let faults = response.headers[FaultMiddleware.faultsHeader].map { $0.split(separator: ",").map(String.init) } ?? []
            record(Int(response.status.code), responseBytes: response.body.contentLength, faults: faults)
            return response
        } catch let error as PeerHTTPError {
            record(Int(error.status.code), responseBytes: nil, faults: [])
            throw error
        } catch let error as HTTPResponseError {
            record(Int(error.status.code), responseBytes: nil, faults: [])
            throw error
        } catch let error as FaultMiddleware.DroppedMidBody {
            record(0, responseBytes: nil, faults: ["close-mid-body"])
            throw error
        } catch {
            record(500, responseBytes: nil, faults: [])
            throw error
        }
    }
}
