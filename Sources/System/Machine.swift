import Glibc

/// Facts about the machine this process runs on.
public enum Machine {
    /// Processors online (at least 1).
    public static var onlineProcessors: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// The hardware name the kernel reports (`uname -m`: x86_64, aarch64, …).
    public static var hardwareName: String {
        var u = utsname()
        guard uname(&u) == 0 else { return "" }
        return withUnsafeBytes(of: u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }
}
