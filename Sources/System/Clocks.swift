import Glibc

/// The time, from the clocks the kernel keeps.
public enum Clocks {
    /// Seconds since an arbitrary point, never going back (for measuring durations).
    public static var monotonicSeconds: Double {
        let t = read(CLOCK_MONOTONIC)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Nanoseconds since an arbitrary point, never going back.
    public static var monotonicNanoseconds: UInt64 {
        let t = read(CLOCK_MONOTONIC)
        return UInt64(max(t.tv_sec, 0)) * 1_000_000_000 + UInt64(max(t.tv_nsec, 0))
    }

    /// The wall clock, in whole seconds since 1970 (UTC).
    public static var wallSeconds: Int64 { Int64(read(CLOCK_REALTIME).tv_sec) }

    /// The wall clock, to the nanosecond.
    public static var wallTime: FileTime { FileTime(read(CLOCK_REALTIME)) }

    private static func read(_ clock: clockid_t) -> timespec {
        var t = timespec()
        clock_gettime(clock, &t)
        return t
    }
}
