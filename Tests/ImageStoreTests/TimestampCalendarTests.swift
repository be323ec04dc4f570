import Glibc
import Testing

@testable import ImageStore

/// Timestamps are written and read as the C library's gmtime and timegm would, for any date an image may carry.
@Suite struct TimestampCalendarTests {
    @Test func textMatchesGmtime() {
        var generator = SystemRandomNumberGenerator()
        let edges: [Int64] = [0, -1, 951_782_400, 951_868_800, -2_208_988_800, -62_135_596_800, 253_402_300_799, 1_709_164_800]
        let random = (0..<1000).map { _ in Int64.random(in: -62_135_596_800...253_402_300_799, using: &generator) }
        for seconds in edges + random {
            var t = time_t(seconds)
            var tm = Glibc.tm()
            gmtime_r(&t, &tm)
            var buffer = [CChar](repeating: 0, count: 32)
            _ = strftime(&buffer, buffer.count, "-%m-%dT%H:%M:%SZ", &tm)
            let year = String(tm.tm_year + 1900)
            let expected = String(repeating: "0", count: max(0, 4 - year.count)) + year
                + String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            #expect(Timestamp(seconds: seconds).rfc3339 == expected, "\(seconds)")
            #expect(Timestamp(rfc3339: expected) == Timestamp(seconds: seconds), "\(expected)")
        }
    }

    @Test func fieldsOutOfRangeCarryOverAsTimegmDoes() {
        #expect(Timestamp(rfc3339: "2024-02-30T00:00:00Z") == Timestamp(rfc3339: "2024-03-01T00:00:00Z"))
        #expect(Timestamp(rfc3339: "2023-13-01T00:00:00Z") == Timestamp(rfc3339: "2024-01-01T00:00:00Z"))
        #expect(Timestamp(rfc3339: "2016-12-31T23:59:60Z") == Timestamp(rfc3339: "2017-01-01T00:00:00Z"))
        #expect(Timestamp(rfc3339: "2024-03-00T24:00:00.5-01:30") == Timestamp(seconds: 1_709_251_200 + 5400, nanoseconds: 500_000_000))
    }
}
