import System

/// COPY and ADD's `--chmod` values: an octal mode up to 7777.
public enum FileModes {
    public static func parse(_ text: String) throws(EstibaError) -> UInt32 {
        guard let m = UInt32(text, radix: 8), m <= 0o7777 else { throw EstibaError(.syntax, "--chmod=\(text) is not an octal mode like 755.") }
        return m
    }
}
