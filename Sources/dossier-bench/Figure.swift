import Foundation

/// One measured figure beside the baseline measured in the same run (README "Benchmarks").
struct Figure: Codable, Sendable {
    var area: String
    var figure: String
    var value: Double
    var unit: String
    var baseline: String
    var baselineValue: Double
    /// `value / baselineValue` when higher is better, `baselineValue / value` when lower is.
    var ratio: Double
    /// The target as printed, e.g. "≥ 0.8×" or "< 64 MiB".
    var target: String
    var pass: Bool

    /// A figure where a higher value is better, judged by `ratio >= minRatio`.
    static func higherIsBetter(
        area: String, figure: String, value: Double, unit: String,
        baseline: String, baselineValue: Double, minRatio: Double
    ) -> Figure {
        let ratio = baselineValue > 0 ? value / baselineValue : 0
        return Figure(
            area: area, figure: figure, value: value, unit: unit, baseline: baseline,
            baselineValue: baselineValue, ratio: ratio,
            target: String(format: "≥ %.2g×", minRatio), pass: ratio >= minRatio)
    }

    /// A figure the issues set no target for: the ratio is printed, nothing is judged.
    static func reported(area: String, figure: String, value: Double, unit: String, baseline: String, baselineValue: Double) -> Figure {
        Figure(
            area: area, figure: figure, value: value, unit: unit, baseline: baseline, baselineValue: baselineValue,
            ratio: baselineValue > 0 ? value / baselineValue : 0, target: "(none)", pass: true)
    }

    /// An absolute ceiling (memory, time): `ratio` is value / limit, passing below 1.
    static func atMost(
        area: String, figure: String, value: Double, unit: String, limit: Double, limitName: String
    ) -> Figure {
        Figure(
            area: area, figure: figure, value: value, unit: unit, baseline: limitName,
            baselineValue: limit, ratio: limit > 0 ? value / limit : 0,
            target: "< \(limitName)", pass: value < limit)
    }
}

/// Median of a non-empty sample; 0 for an empty one.
func median(_ xs: [Double]) -> Double {
    guard !xs.isEmpty else { return 0 }
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

/// Prints the figures as an aligned table, or as the JSON list of README "Benchmarks".
func report(_ figures: [Figure], json: Bool) {
    if json {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(figures), let text = String(data: data, encoding: .utf8) {
            print(text)
        }
        return
    }
    let header = ["area", "figure", "value", "baseline", "ratio", "target", "pass"]
    let rows = figures.map { f in
        [
            f.area, f.figure, String(format: "%.1f %@", f.value, f.unit),
            String(format: "%@ %.1f", f.baseline, f.baselineValue),
            String(format: "%.2f", f.ratio), f.target, f.pass ? "PASS" : "FAIL",
        ]
    }
    var widths = header.map(\.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
        cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ")
    }
    print(line(header))
    rows.forEach { print(line($0)) }
}
