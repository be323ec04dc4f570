import Glibc
import System
import Testing

@Suite struct CalendarTimeTests {
    /// Moments around the edges the calendar has: leap days, century years, the epoch, before it.
    static let moments: [Int64] = [
        0, -1, 59, 86_399, 86_400, 951_782_400, 951_868_799, 951_868_800, 4_107_542_399, 4_107_542_400,
        -2_208_988_800, -62_135_596_800, -62_135_596_801, 253_402_300_799, 1_709_164_800, 1_798_200_000,
        -4_102_444_800, 13_569_465_600,
    ]

    @Test func fieldsMatchTheCLibrary() {
        var generator = SystemRandomNumberGenerator()
        let random = (0..<2000).map { _ in Int64.random(in: -70_000_000_000...70_000_000_000, using: &generator) }
        for seconds in Self.moments + random {
            let fields = CalendarTime(secondsSince1970: seconds)
            var t = time_t(seconds)
            var tm = Glibc.tm()
            gmtime_r(&t, &tm)
            let expected = CalendarTime(
                year: Int(tm.tm_year) + 1900, month: Int(tm.tm_mon) + 1, day: Int(tm.tm_mday),
                hour: Int(tm.tm_hour), minute: Int(tm.tm_min), second: Int(tm.tm_sec))
            #expect(fields == expected, "\(seconds)")
            #expect(fields.secondsSince1970 == seconds, "\(seconds)")
        }
    }

    @Test func fieldsOutOfRangeCarryOverAsTimegmDoes() {
        let cases = [
            CalendarTime(year: 2023, month: 13, day: 1), CalendarTime(year: 2024, month: 2, day: 30),
            CalendarTime(year: 2024, month: 3, day: 0), CalendarTime(year: 2016, month: 12, day: 31, hour: 23, minute: 59, second: 60),
            CalendarTime(year: 1999, month: 0, day: 15, hour: 24), CalendarTime(year: 2001, month: 99, day: 99, hour: 99, minute: 99, second: 99),
        ]
        for fields in cases {
            var tm = Glibc.tm()
            tm.tm_year = Int32(fields.year - 1900)
            tm.tm_mon = Int32(fields.month - 1)
            tm.tm_mday = Int32(fields.day)
            tm.tm_hour = Int32(fields.hour)
            tm.tm_min = Int32(fields.minute)
            tm.tm_sec = Int32(fields.second)
            #expect(fields.secondsSince1970 == Int64(timegm(&tm)), "\(fields)")
        }
    }
}
