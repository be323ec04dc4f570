import Glibc

/// The mount points every container needs (/dev, /proc, /sys, /etc/hosts, /etc/hostname, /etc/resolv.conf, and
/// Docker's /etc/mtab link), as one shared read-only overlay layer above the image's (Docker's "init layer").
/// Because they already exist, the launcher creates nothing in the container's writable layer, so commits and
/// build steps hold only what the command changed.
public enum InitLayer {
    /// Makes (once, atomically) and returns `<root>/init-layer`.
    public static func ensure(root: String) throws(RuntimeError) -> String {
        let dir = root + "/init-layer"
        if access(dir, F_OK) == 0 { return dir }
        let staging = root + "/init-layer.tmp-\(getpid())"
        for d in [staging, staging + "/dev", staging + "/proc", staging + "/sys", staging + "/etc"] {
            guard mkdir(d, 0o755) == 0 || errno == EEXIST else {
                throw RuntimeError("Cannot create \(d): \(String(cString: strerror(errno))).", stage: "init layer")
            }
        }
        for f in ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"] {
            let fd = open(staging + f, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw RuntimeError("Cannot create \(staging + f): \(String(cString: strerror(errno))).", stage: "init layer") }
            close(fd)
        }
        symlink("/proc/mounts", staging + "/etc/mtab")
        if rename(staging, dir) != 0 {
            // Another process made it first.
            guard access(dir, F_OK) == 0 else { throw RuntimeError("Cannot create \(dir): \(String(cString: strerror(errno))).", stage: "init layer") }
        }
        return dir
    }
}
