import Glibc

/// This process's environment variables.
public enum Environment {
    /// The value of `name`; nil when it is not set.
    public static func value(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }

    /// Every variable as "NAME=value", in the order the process has them.
    public static var all: [String] { [String](cStringArray: environ) }
}
