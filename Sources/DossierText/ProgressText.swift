import Foundation

extension CtlText {
    /// The cells of `submit`'s progress bar.
    public static let progressCells = 20

    /// `submit`'s progress line (without the carriage return and erase that redraw it): the label,
    /// a bar of `progressCells` cells filled by the share packed, then the bytes packed of the
    /// total and the percentage as the daemon reports them (`figure`), or the folder's `size`
    /// with an empty bar while it reports nothing yet; then the seconds elapsed. No spinner: the
    /// bar and the figures are the progress.
    public static func progressLine(label: String, figure: (done: UInt64, total: UInt64)?, size: UInt64, elapsed: Int) -> String {
        guard let figure else {
            return "\(label)  [\(String(repeating: "░", count: progressCells))]  \(bytes(size))  \(elapsed) s"
        }
        let percent = figure.total == 0 ? 0 : Int(min(100, Double(figure.done) * 100 / Double(figure.total)))
        let filled = percent * progressCells / 100
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: progressCells - filled)
        return "\(label)  [\(bar)]  \(packed(done: bytes(figure.done), total: bytes(figure.total), percent: percent))  \(elapsed) s"
    }

    /// A byte count as `12.3 MB` (decimal units, as `ls -h --si` and file managers show them).
    static func bytes(_ count: UInt64) -> String { ByteCountFormatter.string(fromByteCount: Int64(clamping: count), countStyle: .file) }
}
