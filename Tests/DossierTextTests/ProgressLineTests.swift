import DossierText
import Testing

/// `submit`'s progress line: a bar filled by the share packed and the bytes packed of the total,
/// as the daemon reports them; no spinner.
struct ProgressLineTests {
    let empty = String(repeating: "░", count: CtlText.progressCells)

    @Test func theBarAndTheFiguresFollowTheDaemonsReport() {
        let quarter = CtlText.progressLine(label: "packing big", figure: (25_000_000, 100_000_000), size: 90_000_000, elapsed: 4)
        let figure = CtlText.packed(done: "25 MB", total: "100 MB", percent: 25)
        #expect(quarter == "packing big  [█████\(String(repeating: "░", count: 15))]  \(figure)  4 s")
        #expect(!quarter.contains { "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏".contains($0) })
        // More than the total (a report racing the end) stays at 100 %; a total of 0 is 0 %.
        let done = CtlText.progressLine(label: "p", figure: (150, 100), size: 100, elapsed: 9)
        #expect(done.contains("[\(String(repeating: "█", count: CtlText.progressCells))]") && done.contains("100"), "\(done)")
        #expect(CtlText.progressLine(label: "p", figure: (0, 0), size: 0, elapsed: 0).contains("[\(empty)]"))
    }

    @Test func beforeTheDaemonReportsTheFoldersSizeShowsWithAnEmptyBar() {
        #expect(
            CtlText.progressLine(label: "packing big", figure: nil, size: 90_000_000, elapsed: 1) == "packing big  [\(empty)]  90 MB  1 s")
    }
}
