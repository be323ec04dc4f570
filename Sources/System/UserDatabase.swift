import Glibc

/// Names of users and groups as this host knows them (passwd and group databases).
public enum UserDatabase {
    /// The name of user `uid`; nil when the host has none.
    public static func userName(_ uid: UInt32) -> String? {
        name(passwd(), field: \.pw_name) { getpwuid_r(uid, $0, $1, $2, $3) }
    }

    /// The name of group `gid`; nil when the host has none.
    public static func groupName(_ gid: UInt32) -> String? {
        name(group(), field: \.gr_name) { getgrgid_r(gid, $0, $1, $2, $3) }
    }

    /// The ID of the group named `name` (or written as a number); nil when the host has none.
    public static func groupID(named name: String) -> UInt32? {
        if let number = UInt32(name) { return number }
        var size = 1024
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            var record = group()
            var found: UnsafeMutablePointer<group>?
            let rc = getgrnam_r(name, &record, buffer, size, &found)
            if rc == ERANGE {
                size *= 4
                continue
            }
            return rc == 0 && found != nil ? record.gr_gid : nil
        }
        return nil
    }

    /// Runs a reentrant lookup (record, buffer, size, result) with a buffer that grows while the entry does
    /// not fit, and reads the name field of what it found.
    private static func name<Record>(
        _ empty: Record, field: KeyPath<Record, UnsafeMutablePointer<CChar>?>,
        _ lookup: (UnsafeMutablePointer<Record>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<Record>?>) -> Int32
    ) -> String? {
        var size = 1024
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            var record = empty
            var found: UnsafeMutablePointer<Record>?
            let rc = withUnsafeMutablePointer(to: &record) { r in
                withUnsafeMutablePointer(to: &found) { f in lookup(r, buffer, size, f) }
            }
            if rc == ERANGE {
                size *= 4
                continue
            }
            // The name points into `buffer`: read it before the buffer goes.
            guard rc == 0, found != nil, let name = record[keyPath: field] else { return nil }
            return String(cString: name)
        }
        return nil
    }
}
