import EstibaJSON
import ImageStore
import Runtime
import System

/// A container as `inspect` describes it: its record, the files and directories the store keeps for it, and
/// its volumes and bind mounts.
public struct ContainerDetails: Sendable {
    public var container: ContainerRecord
    public var hostnamePath: String
    public var hostsPath: String
    public var resolvConfPath: String
    /// The overlay: image layers (top first), the writable layer, overlay's work directory, and the merged root.
    public var lowerDirectories: [String]
    public var upperDirectory: String
    public var workDirectory: String
    public var mergedDirectory: String
    public var mounts: [ContainerMount]
    /// Its interfaces on its networks while it runs, and its network namespace then (Docker's `SandboxKey`).
    public var networks: [NetworkAttachment] = []
    /// The IDs of the networks its record names (`ContainerRecord.networks`), by name.
    public var networkIDs: [String: String] = [:]
    public var sandboxKey: String?
}

/// A volume or a bind mount of a container (Docker's `Mounts` entries).
public struct ContainerMount: Sendable, Equatable {
    /// The volume's name; nil for a bind mount of a host path.
    public var volume: String?
    public var source: String
    public var destination: String
    public var readWrite: Bool
}

extension Engine {
    /// The container `spec` names (name, ID or unique ID prefix) with its paths and mounts.
    public func containerDetails(_ spec: String) throws(EstibaError) -> ContainerDetails {
        let store = try containerStore()
        let record: ContainerRecord
        do { record = try store.find(spec) } catch { throw error.adding(["container": spec]) }
        return details(of: Self.live(record))
    }

    public func details(of c: ContainerRecord) -> ContainerDetails {
        let layout = StoreLayout(root: configuration.root)
        let base = layout.container(c.id)
        let bundle = BundleFiles(directory: base)
        let snapshot = ActiveSnapshot(directory: base, parents: c.lowerDirectories)
        var details = ContainerDetails(
            container: c, hostnamePath: bundle.hostname, hostsPath: bundle.hosts, resolvConfPath: bundle.resolvConf,
            lowerDirectories: c.lowerDirectories, upperDirectory: snapshot.upper, workDirectory: snapshot.work,
            mergedDirectory: bundle.rootfs, mounts: Self.mounts(bundle: bundle.config, container: base, volumes: layout.volumes))
        details.networks = ContainerNetworking.attachments(of: c.id)
        details.sandboxKey = ContainerNetworking.namespacePath(of: c.id)
        let named = Set(c.networks.map(\.network))
        for n in (try? networkStore().all()) ?? [] where named.contains(n.name) { details.networkIDs[n.name] = n.id }
        return details
    }

    /// The bind mounts in a container's bundle that are not its own files: volumes (under the store's
    /// `volumes/`) and host paths.
    static func mounts(bundle: String, container base: String, volumes: String) -> [ContainerMount] {
        guard let bytes = try? Files.read(bundle), let config = try? JSONValue.parse(bytes) else { return [] }
        var out: [ContainerMount] = []
        for m in config["mounts"]?.arrayValue ?? [] where m["type"] == "bind" {
            guard let source = m["source"]?.stringValue, let target = m["destination"]?.stringValue, !source.hasPrefix(base + "/") else { continue }
            let volume = source.hasPrefix(volumes + "/") ? source.dropFirst(volumes.count + 1).split(separator: "/").first.map(String.init) : nil
            let readOnly = m["options"]?.arrayValue?.contains("ro") ?? false
            out.append(ContainerMount(volume: volume, source: source, destination: target, readWrite: !readOnly))
        }
        return out
    }
}
