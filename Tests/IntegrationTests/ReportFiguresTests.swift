@testable import DossierDaemon
import Foundation
import Testing

/// The arithmetic of `dossierctl report`: periods of whole days and the latency figures.
struct ReportFiguresTests {
    let shanghai = TimeZone(identifier: "Asia/Shanghai") ?? .gmt

    @Test func aPeriodIsWholeDaysOfTheDaemonsTimeZoneWithTheLastIncluded() throws {
        let period = try ActivityReport(from: "2026-11-01", to: "2026-11-30", timeZone: shanghai)
        // 2026-11-01T00:00+08:00 … 2026-12-01T00:00+08:00
        #expect(period.start == Date(timeIntervalSince1970: 1_793_462_400))
        #expect(period.end.timeIntervalSince(period.start) == 30 * 86400)
        let oneDay = try ActivityReport(from: "2026-02-28", to: "2026-02-28", timeZone: shanghai)
        #expect(oneDay.end.timeIntervalSince(oneDay.start) == 86400)
    }

    @Test func badDatesAndReversedPeriodsAreRefused() {
        for text in ["2026-02-30", "2026-13-01", "2026-1-01", "yesterday", "2026-11-01T00:00"] {
            #expect(throws: ActivityReport.PeriodError.self, "\(text)") { try ActivityReport(from: text, to: "2026-12-01") }
        }
        #expect(throws: ActivityReport.PeriodError.self) { try ActivityReport(from: "2026-12-02", to: "2026-12-01") }
    }

    @Test func latencyIsMedianNearestRankP95AndMax() throws {
        #expect(ActivityReport.latency([]) == nil)
        let one = try #require(ActivityReport.latency([4]))
        #expect(one.count == 1 && one.median == 4 && one.p95 == 4 && one.max == 4)
        let even = try #require(ActivityReport.latency([4, 1, 3, 2]))
        #expect(even.median == 2.5 && even.p95 == 4 && even.max == 4)
        // 1…100: the 95th of 100 values is 95.
        let hundred = try #require(ActivityReport.latency((1...100).map(Double.init).shuffled()))
        #expect(hundred.count == 100 && hundred.median == 50.5 && hundred.p95 == 95 && hundred.max == 100)
    }
}
