import System

/// Resolves `user[:group]` against the image's /etc/passwd and /etc/group, read by the caller's `file` (which
/// must resolve paths inside the image: see `resolve(_:layers:)`).
public enum UserResolver {
    /// Numeric IDs, supplementary groups and home directory of a user.
    public struct Resolved: Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public var groups: [UInt32]
        public var home: String
    }

    /// `file` gives the contents of an absolute path in the image, or nil when the image has no such file.
    public static func resolve(
        _ spec: String, file: (String) throws(EstibaError) -> [UInt8]?
    ) throws(EstibaError) -> Resolved {
        if spec.isEmpty || spec == "root" || spec == "0" || spec == "0:0" {
            return Resolved(uid: 0, gid: 0, groups: [0], home: "/root")
        }
        if let problem = UserSpec.problem(spec) { throw EstibaError.runtime(problem, stage: "user") }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let passwd = entries(try file("/etc/passwd"))
        let group = entries(try file("/etc/group"))
        var uid: UInt32
        var gid: UInt32 = 0
        var home = "/"
        var userName: String?
        if let n = UInt32(parts[0]) {
            uid = n
            if let entry = passwd.first(where: { $0.count >= 6 && $0[2] == parts[0] }) {
                gid = UInt32(entry[3]) ?? 0
                home = entry[5]
                userName = entry[0]
            }
        } else if let entry = passwd.first(where: { $0.count >= 6 && $0[0] == parts[0] }), let u = UInt32(entry[2]) {
            uid = u
            gid = UInt32(entry[3]) ?? 0
            home = entry[5]
            userName = entry[0]
        } else {
            throw EstibaError.runtime("Unable to find user \(parts[0]): no matching entries in the image's /etc/passwd.", stage: "user")
        }
        if parts.count == 2 {
            if let g = UInt32(parts[1]) {
                gid = g
            } else if let entry = group.first(where: { $0.count >= 3 && $0[0] == parts[1] }), let g = UInt32(entry[2]) {
                gid = g
            } else {
                throw EstibaError.runtime("Unable to find group \(parts[1]): no matching entries in the image's /etc/group.", stage: "user")
            }
        }
        var extra: [UInt32] = []
        if parts.count == 1, let userName {
            for entry in group where entry.count >= 4 && entry[3].split(separator: ",").contains(Substring(userName)) {
                if let g = UInt32(entry[2]), g != gid { extra.append(g) }
            }
        }
        // Like Docker: the primary group is also the first supplementary group.
        return Resolved(uid: uid, gid: gid, groups: [gid] + extra, home: home.isEmpty ? "/" : home)
    }

    /// The colon-separated fields of each line of a passwd or group file.
    public static func entries(_ contents: [UInt8]?) -> [[String]] {
        guard let contents else { return [] }
        return String(decoding: contents, as: UTF8.self).split(separator: "\n")
            .map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
    }
}
