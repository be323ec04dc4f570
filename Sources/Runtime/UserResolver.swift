import Glibc

/// Resolves `user[:group]` against the image's /etc/passwd and /etc/group (read from its layers, top first).
public enum UserResolver {
    /// Numeric IDs, supplementary groups and home directory of a user.
    public struct Resolved: Sendable {
        public var uid: UInt32
        public var gid: UInt32
        public var groups: [UInt32]
        public var home: String
    }

    public static func resolve(_ spec: String, lowerDirectories: [String]) throws(RuntimeError) -> Resolved {
        if spec.isEmpty || spec == "root" || spec == "0" || spec == "0:0" {
            return Resolved(uid: 0, gid: 0, groups: [0], home: "/root")
        }
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        let passwd = lines(of: "/etc/passwd", in: lowerDirectories).map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
        let group = lines(of: "/etc/group", in: lowerDirectories).map { $0.split(separator: ":", omittingEmptySubsequences: false).map(String.init) }
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
            throw RuntimeError("Unable to find user \(parts[0]): no matching entries in the image's /etc/passwd.", stage: "user")
        }
        if parts.count == 2 {
            if let g = UInt32(parts[1]) {
                gid = g
            } else if let entry = group.first(where: { $0.count >= 3 && $0[0] == parts[1] }), let g = UInt32(entry[2]) {
                gid = g
            } else {
                throw RuntimeError("Unable to find group \(parts[1]): no matching entries in the image's /etc/group.", stage: "user")
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

    /// The file's lines from the topmost layer that has it (a whiteout hides it).
    public static func lines(of path: String, in lowerDirectories: [String]) -> [String] {
        for dir in lowerDirectories {
            var st = stat()
            guard lstat(dir + path, &st) == 0 else { continue }
            if (st.st_mode & S_IFMT) == S_IFCHR { return [] }
            guard let bytes = FileContents.read(dir + path) else { return [] }
            return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        return []
    }
}

import Glibc
