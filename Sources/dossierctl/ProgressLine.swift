import Foundation

/// A one-line activity indicator on a terminal (nothing when stdout is not a tty): the label,
/// the work's size and the elapsed time, redrawn every 200 ms while `during` runs.
struct ProgressLine {
    let label: String
    let total: UInt64

    func during<T>(_ work: () -> T) -> T {
        guard isatty(STDOUT_FILENO) == 1, total > 8 << 20 else { return work() }
        let start = Date()
        let size = ByteCountFormatter.string(fromByteCount: Int64(total), countStyle: .file)
        let label = self.label
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "dossierctl.progress"))
        let frames = Array("⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏")
        timer.setEventHandler {
            let elapsed = Date().timeIntervalSince(start)
            let line = "\r\(frames[Int(elapsed * 5) % frames.count]) \(label) (\(size))  \(Int(elapsed)) s"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        timer.schedule(deadline: .now(), repeating: .milliseconds(200))
        timer.resume()
        let result = work()
        timer.cancel()
        FileHandle.standardOutput.write(Data("\r\u{1B}[K".utf8))
        return result
    }
}
