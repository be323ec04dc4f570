/// Go's `time.ParseDuration`, as HEALTHCHECK's duration flags are read.
public enum GoDuration {
    /// Parses a Go duration (`1h30m`, `5m`, `1.5s`, `500ms`) into nanoseconds; nil when it is malformed or longer
    /// than an Int64 of nanoseconds holds (about 2562047h, as in Go).
    public static func parse(_ text: String) -> Int64? {
        var s = Substring(text)
        if s == "0" { return 0 }
        guard !s.isEmpty else { return nil }
        var total: Double = 0
        let units: [(String, Double)] = [
            ("ns", 1), ("us", 1e3), ("µs", 1e3), ("μs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9),
        ]
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            s = s.dropFirst(number.count)
            guard let unit = units.filter({ s.hasPrefix($0.0) }).max(by: { $0.0.count < $1.0.count }) else { return nil }
            s = s.dropFirst(unit.0.count)
            total += value * unit.1
        }
        return total.isFinite ? Int64(exactly: total.rounded()) : nil
    }
}
