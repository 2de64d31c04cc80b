import DossierText
import Foundation

/// A one-line progress indicator on a terminal (nothing when stdout is not a tty): the label,
/// the bytes done of the total as the daemon reports them (or the work's size while it reports
/// nothing), and the elapsed time, redrawn every 200 ms while `during` runs.
struct ProgressLine {
    let label: String
    let total: UInt64
    /// Asked every 200 ms for the daemon's own figure: bytes packed so far and the total.
    var progress: @Sendable () -> (done: UInt64, total: UInt64)? = { nil }

    func during<T>(_ work: () -> T) -> T {
        guard isatty(STDOUT_FILENO) == 1, total > 8 << 20 else { return work() }
        let start = Date()
        let (label, total, progress) = (self.label, self.total, self.progress)
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "dossierctl.progress"))
        let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        timer.setEventHandler {
            let elapsed = Date().timeIntervalSince(start)
            let figure = progress().map {
                CtlText.packed(done: Self.bytes($0.done), total: Self.bytes($0.total), percent: Self.percent($0))
            }
            let line = "\r\(frames[Int(elapsed * 5) % frames.count]) \(label) (\(figure ?? Self.bytes(total)))  \(Int(elapsed)) s\u{1B}[K"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        timer.schedule(deadline: .now(), repeating: .milliseconds(200))
        timer.resume()
        let result = work()
        timer.cancel()
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        return result
    }

    private static func bytes(_ count: UInt64) -> String { ByteCountFormatter.string(fromByteCount: Int64(count), countStyle: .file) }

    private static func percent(_ figure: (done: UInt64, total: UInt64)) -> Int {
        figure.total == 0 ? 0 : Int(min(100, Double(figure.done) * 100 / Double(figure.total)))
    }
}
