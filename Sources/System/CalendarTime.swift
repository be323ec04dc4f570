/// A moment in UTC as calendar fields (the proleptic Gregorian calendar, without leap seconds), converted to
/// and from seconds since 1970 as the C library's gmtime and timegm do, in Swift.
public struct CalendarTime: Sendable, Hashable {
    public var year: Int
    /// 1 to 12.
    public var month: Int
    /// 1 to 31.
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    private static let secondsPerDay = 86_400
    /// Days from 0000-03-01 to 1970-01-01.
    private static let epochShift = 719_468
    private static let daysPer400Years = 146_097

    /// The fields of the moment `seconds` after 1970-01-01T00:00:00Z (before it when negative).
    public init(secondsSince1970 seconds: Int64) {
        let total = Int(truncatingIfNeeded: seconds)
        let (days, daySecond) = Self.floorDivide(total, Self.secondsPerDay)
        // Years counted from March, so that the leap day ends each year.
        let (era, dayOfEra) = Self.floorDivide(days + Self.epochShift, Self.daysPer400Years)
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        self.init(
            year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month,
            day: dayOfYear - (153 * shiftedMonth + 2) / 5 + 1,
            hour: daySecond / 3600, minute: daySecond % 3600 / 60, second: daySecond % 60)
    }

    /// Seconds since 1970-01-01T00:00:00Z. Fields out of their range carry over as with timegm: month 13 is
    /// January of the next year, day 0 the last day of the month before, second 60 the next minute's first.
    public var secondsSince1970: Int64 {
        let (carry, monthIndex) = Self.floorDivide(month &- 1, 12)
        let marchYear = year &+ carry &- (monthIndex < 2 ? 1 : 0)
        let (era, yearOfEra) = Self.floorDivide(marchYear, 400)
        let dayOfYear = (153 * (monthIndex < 2 ? monthIndex + 10 : monthIndex - 2) + 2) / 5
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era &* Self.daysPer400Years &+ dayOfEra &- Self.epochShift &+ (day &- 1)
        let seconds = days &* Self.secondsPerDay &+ hour &* 3600 &+ minute &* 60 &+ second
        return Int64(truncatingIfNeeded: seconds)
    }

    /// Quotient rounded down and a remainder that is never negative.
    private static func floorDivide(_ a: Int, _ b: Int) -> (quotient: Int, remainder: Int) {
        let q = a / b
        let r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }
}
