@testable import DossierTransport
import Foundation
import Testing

/// What a peer's `Retry-After` is read as (`PeerResponse.retryAfter`): RFC 9110's delta-seconds
/// or HTTP date, at most a day. Found in review: a peer answering 503 with `Retry-After:
/// 100000000000000` made the outbox write a date past `Int64` microseconds and trap, after every
/// restart again.
@Suite struct RetryAfterTests {
    func read(_ value: String) -> Double? {
        PeerResponse(status: 503, headers: ["retry-after": value], body: [], uploaded: 0, downloaded: 0).retryAfter
    }

    @Test func deltaSecondsAreDigitsOnlyAndAtMostADay() {
        #expect(read("7") == 7)
        #expect(read(" 0 ") == 0)
        for huge in ["100000000000000", "18446744073709551615", "99999999999999999999999999"] {
            #expect(read(huge) == PeerResponse.longestRetryAfter, "\(huge)")
        }
        for odd in ["inf", "nan", "1e9", "-5", "+5", "7.5", "", "0x10"] {
            #expect(read(odd) == nil, "\(odd)")
        }
    }

    @Test func anHTTPDateIsReadAsTheWaitUntilThenAtMostADay() throws {
        #expect(read("Fri, 31 Dec 9999 23:59:59 GMT") == PeerResponse.longestRetryAfter)
        #expect(read("Sun, 06 Nov 1994 08:49:37 GMT") == 0)
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let soon = try #require(read(formatter.string(from: Date().addingTimeInterval(120))))
        #expect(soon > 100 && soon <= 120, "\(soon)")
    }
}
