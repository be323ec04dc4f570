import Glibc

/// The C library's locale for this process, which C libraries (libarchive) consult to convert names.
public enum ProcessLocale {
    /// Sets the character-type category (LC_CTYPE) to the first of `candidates` the system has; returns the
    /// one chosen, nil when it has none of them (the locale is then unchanged). Call it before other threads
    /// use the C library's text conversions.
    @discardableResult
    public static func setCharacterType(_ candidates: [String]) -> String? {
        candidates.first { setlocale(LC_CTYPE, $0) != nil }
    }
}
