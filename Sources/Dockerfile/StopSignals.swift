import System

/// STOPSIGNAL's values: a signal number (1–64) or a name, with or without `SIG`, in any case.
public enum StopSignals {
    public static func check(_ s: String) throws(EstibaError) {
        guard !isValid(s) else { return }
        throw EstibaError(.syntax, "Invalid signal \(s): use a name like SIGTERM or a number.")
    }

    static func isValid(_ s: String) -> Bool {
        if let n = Int(s) { return n > 0 && n < 65 }
        let upper = s.uppercased()
        let name = upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper
        if names.contains(name) { return true }
        return name.hasPrefix("RTMIN") || name.hasPrefix("RTMAX")
    }

    static let names: Set<String> = [
        "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL",
        "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1",
        "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
    ]
}
