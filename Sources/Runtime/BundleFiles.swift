import System

/// The files of a container's bundle directory: the mount point of its root (`rootfs`), what it mounts read-only
/// over /etc/hosts, /etc/hostname and /etc/resolv.conf, and the OCI runtime config (`config.json`) that runc can
/// run too.
public struct BundleFiles: Sendable {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public var rootfs: String { directory + "/rootfs" }
    public var hosts: String { directory + "/hosts" }
    public var hostname: String { directory + "/hostname" }
    public var resolvConf: String { directory + "/resolv.conf" }
    public var config: String { directory + "/config.json" }

    /// Writes them for `spec` into the new bundle directory: localhost and the hostname, the hostname, this host's
    /// resolv.conf, and the config unless `runtimeConfig` is false (a build step's bundle, which only the launcher
    /// runs). Each is a new file (an existing one is an error, never overwritten), not flushed to disk, which would
    /// cost every container and RUN step milliseconds: after a crash, a created container that lost them says so
    /// when started.
    public func write(_ spec: ContainerSpec, runtimeConfig: Bool = true) throws(EstibaError) {
        // On a bridge network the container's own address names it (added at each start, when it is attached);
        // else 127.0.1.1 does.
        let own = spec.network != .bridge ? ["127.0.1.1\t\(spec.hostname)"] : []
        let hostsText = (["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"] + own + spec.hostsEntries).map { $0 + "\n" }.joined()
        var files: [(String, [UInt8])] = [
            (hosts, Array(hostsText.utf8)),
            (hostname, Array((spec.hostname + "\n").utf8)),
            (resolvConf, spec.resolvText.map { Array($0.utf8) } ?? (try? Files.read("/etc/resolv.conf")) ?? []),
        ]
        if runtimeConfig { files.append((config, Bundle.config(spec).encodedPretty())) }
        for (path, bytes) in files {
            do { try FileDescriptor.open(path, [.writeOnly, .create, .exclusive], permissions: 0o644).writeAll(bytes) } catch {
                throw error.adding(["stage": "bundle"])
            }
        }
    }
}
