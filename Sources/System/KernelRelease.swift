import Glibc

extension Machine {
    /// The release of the running kernel (`uname -r`: "6.8.0-45-generic"); empty when the kernel does not say.
    public static var kernelRelease: String {
        var u = utsname()
        guard uname(&u) == 0 else { return "" }
        return withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
