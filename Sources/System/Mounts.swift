import CSys
import Glibc

/// Mounting and unmounting in this process's mount namespace.
public enum Mounts {
    /// Mounts `source` of file system `type` on `target` with `options` (the file system's data string).
    public static func mount(
        _ source: String, on target: String, type: String, options: String = "", readOnly: Bool = false
    ) throws(EstibaError) {
        guard csys_mount(source, target, type, readOnly ? UInt(MS_RDONLY) : 0, options) == 0 else {
            throw .last("mount \(type) on", path: target)
        }
    }

    /// Mounts an overlay on `target`: `lower` directories top first; without `upper` (and `work`) it is
    /// read-only.
    public static func mountOverlay(lower: [String], upper: String? = nil, work: String? = nil, on target: String) throws(EstibaError) {
        var options = "lowerdir=" + lower.joined(separator: ":")
        if let upper, let work { options += ",upperdir=\(upper),workdir=\(work)" }
        try mount("overlay", on: target, type: "overlay", options: options, readOnly: upper == nil)
    }

    /// Detaches the mount at `target` (lazily: it goes once nothing uses it).
    public static func detach(_ target: String) throws(EstibaError) {
        guard csys_umount(target) == 0 else { throw .last("unmount", path: target) }
    }

    /// The mount points of this namespace at or below `prefix` (from /proc/self/mountinfo), in its order.
    public static func points(under prefix: String) throws(EstibaError) -> [String] {
        let table = try Files.read("/proc/self/mountinfo")
        return table.split(separator: UInt8(ascii: "\n")).compactMap { line -> String? in
            let fields = line.split(separator: UInt8(ascii: " "), maxSplits: 5)
            guard fields.count > 4 else { return nil }
            let point = decodeOctalEscapes(fields[4])
            return point == prefix || point.hasPrefix(prefix == "/" ? "/" : prefix + "/") ? point : nil
        }
    }

    /// mountinfo writes space, tab, newline and backslash in paths as a backslash and three octal digits.
    static func decodeOctalEscapes(_ field: ArraySlice<UInt8>) -> String {
        let bytes = Array(field)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "\\"), i + 3 < bytes.count,
                let value = UInt8(String(decoding: bytes[(i + 1)...(i + 3)], as: UTF8.self), radix: 8)
            {
                out.append(value)
                i += 4
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
