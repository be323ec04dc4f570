import System

/// A point in time with nanoseconds, written as Go's RFC3339Nano (`2026-11-29T12:31:25.5Z`).
public struct Timestamp: Sendable, Hashable, Comparable {
    public var seconds: Int64
    public var nanoseconds: Int32

    public init(seconds: Int64, nanoseconds: Int32 = 0) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static func now() -> Timestamp {
        let wall = Clocks.wallTime
        return Timestamp(seconds: wall.seconds, nanoseconds: Int32(truncatingIfNeeded: wall.nanoseconds))
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { (a.seconds, a.nanoseconds) < (b.seconds, b.nanoseconds) }

    /// UTC, fraction without trailing zeros (none when zero).
    public var rfc3339: String {
        let utc = CalendarTime(secondsSince1970: seconds)
        func pad<N: BinaryInteger>(_ v: N, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        var out = "\(pad(utc.year, 4))-\(pad(utc.month, 2))-\(pad(utc.day, 2))T"
        out += "\(pad(utc.hour, 2)):\(pad(utc.minute, 2)):\(pad(utc.second, 2))"
        if nanoseconds > 0 {
            var frac = pad(nanoseconds, 9)
            while frac.hasSuffix("0") { frac.removeLast() }
            out += "." + frac
        }
        return out + "Z"
    }

    /// Parses RFC 3339 (`Z` or `±hh:mm` offsets, optional fraction).
    public init?(rfc3339 text: String) {
        let u = Array(text.utf8)
        func num(_ from: Int, _ count: Int) -> Int32? {
            guard from + count <= u.count else { return nil }
            var v: Int32 = 0
            for b in u[from..<from + count] {
                guard b >= 0x30, b <= 0x39 else { return nil }
                v = v * 10 + Int32(b - 0x30)
            }
            return v
        }
        guard u.count >= 20, u[4] == 0x2D, u[7] == 0x2D, u[10] == 0x54 || u[10] == 0x74 || u[10] == 0x20,
            u[13] == 0x3A, u[16] == 0x3A,
            let year = num(0, 4), let month = num(5, 2), let day = num(8, 2),
            let hour = num(11, 2), let minute = num(14, 2), let second = num(17, 2)
        else { return nil }
        var i = 19
        var nanos: Int32 = 0
        if i < u.count, u[i] == 0x2E {
            i += 1
            var digits = 0
            while i < u.count, u[i] >= 0x30, u[i] <= 0x39 {
                if digits < 9 { nanos = nanos * 10 + Int32(u[i] - 0x30) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset: Int64 = 0
        guard i < u.count else { return nil }
        if u[i] == 0x5A || u[i] == 0x7A {
            i += 1
        } else if u[i] == 0x2B || u[i] == 0x2D, let oh = num(i + 1, 2), u.count > i + 3, u[i + 3] == 0x3A, let om = num(i + 4, 2) {
            offset = Int64(oh) * 3600 + Int64(om) * 60
            if u[i] == 0x2B { offset = -offset }
            i += 6
        } else {
            return nil
        }
        guard i == u.count else { return nil }
        let utc = CalendarTime(
            year: Int(year), month: Int(month), day: Int(day), hour: Int(hour), minute: Int(minute), second: Int(second))
        self.init(seconds: utc.secondsSince1970 + offset, nanoseconds: nanos)
    }
}
