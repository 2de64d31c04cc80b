import DossierText
import Foundation

/// A one-line progress indicator on a terminal (nothing when stdout is not a tty): the label, a
/// bar and the bytes packed of the total with the percentage, as the daemon reports them (the
/// work's size while it reports nothing), and the elapsed time (`CtlText.progressLine`), redrawn
/// every 200 ms while `during` runs.
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
        timer.setEventHandler {
            let line = CtlText.progressLine(label: label, figure: progress(), size: total, elapsed: Int(Date().timeIntervalSince(start)))
            FileHandle.standardOutput.write(Data("\r\(line)\u{1B}[K".utf8))
        }
        timer.schedule(deadline: .now(), repeating: .milliseconds(200))
        timer.resume()
        let result = work()
        timer.cancel()
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        return result
    }
}
