import CLauncher
import System

/// A network namespace kept on a file (a bind mount of the namespace, as `ip netns` does), so that the network
/// driver can give it interfaces before the container joins it, and the container can be started again into it.
public enum NetworkNamespace {
    /// Makes a new namespace (loopback up) on `path`, a file that must not exist yet.
    public static func create(at path: String) throws(EstibaError) {
        do { try FileDescriptor.open(path, [.writeOnly, .create, .exclusive], permissions: 0o444).close() } catch {
            throw EstibaError.runtime(cannot: "create the network namespace file \(path)", error, stage: "network")
        }
        let rc = path.withCString { estiba_netns_create($0) }
        guard rc == 0 else {
            try? Files.remove(path)
            throw EstibaError.runtime("Cannot create a network namespace: \(ErrorNumber.text(-rc)).", stage: "network")
        }
    }

    /// Unmounts and deletes it (nothing there is no error).
    public static func remove(at path: String) {
        try? Mounts.detach(path)
        try? Files.remove(path)
    }
}
