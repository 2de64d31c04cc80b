import DossierTestSupport
import Foundation
import Testing

/// Headless Chromium's shell or Chromium on `PATH`, as `contrib/report-screenshot.sh` looks
/// for them.
let reportBrowser: String? = ["chromium-headless-shell", "chromium"].lazy.compactMap { name in
    (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        .map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}.first

/// CI (`CI=true`, set by `.ci/run` and CI services) installs a browser: there, no browser fails.
let runningInCI = ProcessInfo.processInfo.environment["CI"] == "true"

extension OperatorTests {
    /// The report's HTML of two real daemons rendered by `contrib/report-screenshot.sh` in
    /// headless Chromium: a PNG of the asked size, not blank. The page and the PNG are kept in
    /// `$TMPDIR/dossier-test-artefacts/` (the test's own folder is removed) and their paths printed.
    @Test(.enabled(if: reportBrowser != nil || runningInCI, "no chromium-headless-shell or chromium on PATH (CI=true fails instead)"))
    func reportHTMLRendersInHeadlessChromium() async throws {
        try #require(reportBrowser != nil, "CI=true but neither chromium-headless-shell nor chromium is installed (.ci/run installs it)")
        let (origin, destination, _) = try await deliveredPair()
        let html = try report(origin, format: "html")
        #expect(html.status == 0 && html.stdout.contains("<svg"), "\(html.stderr)")
        #expect(try await origin.stop() == 0)
        #expect(try await destination.stop() == 0)

        let artefacts = FileManager.default.temporaryDirectory.appendingPathComponent("dossier-test-artefacts")
        try FileManager.default.createDirectory(at: artefacts, withIntermediateDirectories: true)
        let page = artefacts.appendingPathComponent("report.html")
        let png = artefacts.appendingPathComponent("report.png")
        try Data(html.stdout.utf8).write(to: page)
        try? FileManager.default.removeItem(at: png)
        let script = packageRoot.appendingPathComponent("contrib/report-screenshot.sh").path
        let shot = try run("/bin/bash", [script, page.path, png.path, "900,1400"])
        #expect(shot.status == 0 && shot.stdout.contains(png.path), "\(shot.stdout)\(shot.stderr)")
        let bytes = [UInt8](try Data(contentsOf: png))
        // The PNG signature, then IHDR: width and height, big-endian, at bytes 16 and 20.
        #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        func word(_ at: Int) -> Int { bytes.count < at + 4 ? 0 : bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        #expect(word(16) == 900 && word(20) == 1400, "\(word(16))×\(word(20))")
        // A blank page of that size compresses to a few KiB; text, tables and bars take more.
        #expect(bytes.count > 20_000, "\(bytes.count) bytes: is the page blank?")
        print("report screenshot: \(png.path) (\(bytes.count) bytes), page \(page.path)")
    }
}
