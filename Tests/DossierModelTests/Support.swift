import DossierModel
import DossierSamples
import Foundation

/// A fixed day for every test, so results do not depend on the calendar.
let testDay = CalendarDate(year: 2026, month: 11, day: 27) ?? CalendarDate(Date())

/// Noon of `day` in China time.
func instant(_ day: CalendarDate) -> Date {
    var parts = DateComponents()
    parts.year = day.year
    parts.month = day.month
    parts.day = day.day
    parts.hour = 12
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600) ?? calendar.timeZone
    return calendar.date(from: parts) ?? Date()
}

let testNow = instant(testDay)

/// A folder under the system temp folder, removed by `remove()`.
struct TempFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dossiermodel-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Writes sample dossiers into a fresh temp folder, runs `body`, then removes the folder.
func withSamples<T>(_ generator: SampleGenerator, _ body: ([URL]) throws -> T) throws -> T {
    let folder = try TempFolder()
    defer { folder.remove() }
    return try body(try generator.generate(into: folder.url))
}

func sampleGenerator(
    seed: UInt64 = 7, count: Int = 1, documents: Int = 6, size: Int = 4096,
    ineligible: String? = nil
) -> SampleGenerator {
    SampleGenerator(
        seed: seed, count: count, documents: documents, documentSize: size, ineligible: ineligible,
        origin: "441800", destination: "430100", today: testDay)
}

func sampleRecord(seed: UInt64 = 7, ineligible: String? = nil) throws -> DossierRecord {
    try sampleGenerator(seed: seed, ineligible: ineligible).record(0)
}

func eligibilityCodes(_ record: DossierRecord, policy: TransferPolicy = .default) -> [String] {
    TransferEligibility.evaluate(record, destination: "430100", policy: policy, today: testNow).map(\.code)
}

func sample(_ path: String, _ bytes: [UInt8]) -> DocumentSample {
    DocumentSample(
        path: path, size: UInt64(bytes.count), head: Array(bytes.prefix(DocumentSample.headLength)),
        tail: Array(bytes.suffix(DocumentSample.tailLength)))
}
