/// The form of a `user[:group]` setting, checked before it is looked up in an image.
public enum UserSpec {
    /// Why `spec` is not `user`, `uid`, `user:group` or `uid:gid` (nil when it is, or when it is empty: the
    /// default user).
    public static func problem(_ spec: String) -> String? {
        if spec.isEmpty { return nil }
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        let wellFormed = parts.count <= 2 && parts.allSatisfy { p in
            !p.isEmpty && !p.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "/" }
        }
        if wellFormed { return nil }
        let shown = spec.count > 64 ? String(spec.prefix(64)) + "…" : spec
        return "Invalid user \"\(shown)\": give a user name or UID, optionally with :group or :GID (like nobody or 1000:1000)."
    }
}
