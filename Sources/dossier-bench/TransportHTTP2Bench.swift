import DossierArchive
import Foundation

/// `dossier-bench transport --http2`: the small pushes of `TransportBench` over HTTP/2, our
/// client (libcurl multi, streams multiplexed on one connection) against `curl --parallel
/// --http2` to the same kind of peer (a fresh `dossier-mock-peer --http2` per run), and against
/// our own client over HTTP/1.1 in the same run (the "≥ 2× today's rate").
enum TransportHTTP2Bench {
    static func figures(_ ws: TransportWorkspace, count: Int, concurrency: Int, rounds: Int) async throws -> [Figure] {
        let small = try ws.archives(count: count, documents: 6, documentSize: 9 << 10, name: "small-h2")
        let kib = (small.reduce(0) { $0 + Int($1.size) } / max(1, count)) >> 10
        var ours: [Double] = [], curl: [Double] = [], oursHTTP1: [Double] = []
        for _ in 0..<max(1, rounds) {
            ours.append(Double(count) / (try await TransportBench.pushAll(small, ws: ws, concurrency: concurrency, http2: true)))
            curl.append(Double(count) / (try TransportBench.curlAll(small, ws: ws, concurrency: concurrency, http2: true)))
            oursHTTP1.append(Double(count) / (try await TransportBench.pushAll(small, ws: ws, concurrency: concurrency)))
        }
        let figure = "\(count) pushes of \(kib) KiB over HTTP/2, \(concurrency) in flight"
        return [
            .higherIsBetter(
                area: "transport", figure: figure, value: median(ours), unit: "/s", baseline: "curl --parallel --http2",
                baselineValue: median(curl), minRatio: 1.0),
            .higherIsBetter(
                area: "transport", figure: figure, value: median(ours), unit: "/s", baseline: "ours over HTTP/1.1",
                baselineValue: median(oursHTTP1), minRatio: 2.0),
        ]
    }
}
