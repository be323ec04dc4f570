import System

/// The mount points every container needs (/dev, /proc, /sys, /etc/hosts, /etc/hostname, /etc/resolv.conf, and
/// Docker's /etc/mtab link), as one shared read-only overlay layer above the image's (Docker's "init layer").
/// Because they already exist, the launcher creates nothing in the container's writable layer, so commits and
/// build steps hold only what the command changed.
public enum InitLayer {
    /// Makes (once, atomically) and returns `<root>/init-layer`.
    public static func ensure(root: String) throws(EstibaError) -> String {
        let dir = root + "/init-layer"
        if Files.exists(dir) { return dir }
        let staging = root + "/init-layer.tmp-\(Processes.currentID)"
        for d in [staging, staging + "/dev", staging + "/proc", staging + "/sys", staging + "/etc"] {
            do { try Files.makeDirectory(d) } catch {
                guard error.isAlreadyExisting else { throw EstibaError.runtime(cannot: "create \(d)", error, stage: "init layer") }
            }
        }
        for f in ["/etc/hosts", "/etc/hostname", "/etc/resolv.conf"] {
            do { _ = try FileDescriptor.open(staging + f, [.writeOnly, .create]) } catch {
                throw EstibaError.runtime(cannot: "create \(staging + f)", error, stage: "init layer")
            }
        }
        try? Files.makeSymbolicLink(staging + "/etc/mtab", to: "/proc/mounts")
        do { try Files.rename(staging, to: dir) } catch {
            // Another process made it first: its layer is the same, and this one goes.
            try? Files.removeTree(staging)
            guard Files.exists(dir) else { throw EstibaError.runtime(cannot: "create \(dir)", error, stage: "init layer") }
        }
        return dir
    }
}
