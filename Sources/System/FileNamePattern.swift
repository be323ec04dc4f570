import Glibc

/// Shell wildcard matching of one file name (`*`, `?`, `[…]`, backslash escapes), as fnmatch does it.
public enum FileNamePattern {
    public static func matches(_ pattern: String, _ name: String) -> Bool { fnmatch(pattern, name, 0) == 0 }
}
