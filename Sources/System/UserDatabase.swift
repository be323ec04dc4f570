import Glibc

/// Names of users and groups as this host knows them (passwd and group databases).
public enum UserDatabase {
    /// The name of user `uid`; nil when the host has none.
    public static func userName(_ uid: UInt32) -> String? {
        lookup { entry, buffer, size, result in
            var pw = passwd()
            let rc = getpwuid_r(uid, &pw, buffer, size, result)
            entry = rc == 0 && result.pointee != nil ? pw.pw_name.map { String(cString: $0) } : nil
            return rc
        }
    }

    /// The name of group `gid`; nil when the host has none.
    public static func groupName(_ gid: UInt32) -> String? {
        lookup { entry, buffer, size, result in
            var gr = group()
            let rc = getgrgid_r(gid, &gr, buffer, size, result)
            entry = rc == 0 && result.pointee != nil ? gr.gr_name.map { String(cString: $0) } : nil
            return rc
        }
    }

    /// Runs a reentrant lookup with a buffer that grows while the entry does not fit.
    private static func lookup<Record>(
        _ call: (inout String?, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<Record>?>) -> Int32
    ) -> String? {
        var size = 1024
        while size <= 1 << 20 {
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: size)
            defer { buffer.deallocate() }
            let result = UnsafeMutablePointer<UnsafeMutablePointer<Record>?>.allocate(capacity: 1)
            defer { result.deallocate() }
            result.initialize(to: nil)
            var name: String?
            let rc = call(&name, buffer, size, result)
            if rc != ERANGE { return name }
            size *= 4
        }
        return nil
    }
}
