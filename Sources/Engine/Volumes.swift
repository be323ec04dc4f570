import EstibaJSON
import ImageStore
import Runtime
import System

/// `-v` specs: `/host/path:/target[:ro|rw]` (a bind mount; a missing host directory is created, as Docker does)
/// or `name:/target[:ro|rw]` (a named volume kept in the store under `volumes/<name>/_data`).
enum VolumeSpecs {
    /// The mounts, and the named volumes this call created (to be filled from the image).
    static func resolve(_ specs: [String], root: String) throws(EstibaError) -> (mounts: [VolumeMount], created: [VolumeMount]) {
        var out: [VolumeMount] = []
        var created: [VolumeMount] = []
        for spec in specs {
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 || parts.count == 3 else {
                throw EstibaError(.invalidArgument, "Invalid volume \"\(spec)\": use SOURCE:TARGET[:ro|rw], where SOURCE is a host path or a volume name.", context: ["volume": spec])
            }
            var readOnly = false
            if parts.count == 3 {
                switch parts[2] {
                case "ro": readOnly = true
                case "rw", "": readOnly = false
                default:
                    throw EstibaError(.invalidArgument, "Invalid volume mode \"\(parts[2])\" in \"\(spec)\": use ro or rw.", context: ["volume": spec])
                }
            }
            let (source, target) = (parts[0], parts[1])
            guard target.hasPrefix("/"), target != "/" else {
                throw EstibaError(.invalidArgument, "Invalid volume \"\(spec)\": the target must be an absolute path in the container, not /.", context: ["volume": spec])
            }
            guard !source.isEmpty else {
                throw EstibaError(.invalidArgument, "Invalid volume \"\(spec)\": give a host path or a volume name before the colon.", context: ["volume": spec])
            }
            let path: String
            if source.hasPrefix("/") {
                path = source
                if (try? Files.status(path)) == nil { try makeDirectories(path) }
            } else {
                guard validName(source) else {
                    throw EstibaError(.invalidArgument, "Invalid volume name \"\(source)\": use letters, digits, '_', '.' and '-', starting with a letter or digit (or give an absolute host path).", context: ["volume": spec])
                }
                path = StoreLayout(root: root).volumeData(source)
                if !Files.exists(path) {
                    try makeDirectories(path)
                    created.append(VolumeMount(source: path, target: target, readOnly: readOnly))
                }
            }
            out.append(VolumeMount(source: path, target: target, readOnly: readOnly))
        }
        return (out, created)
    }

    /// An anonymous volume (for an image's VOLUME): `volumes/<64 hex>/_data`.
    static func anonymous(root: String) throws(EstibaError) -> (name: String, path: String) {
        let name = ContainerStore.newID()
        let path = StoreLayout(root: root).volumeData(name)
        try makeDirectories(path)
        return (name, path)
    }

    /// Docker's rule for volume names.
    static func validName(_ n: String) -> Bool {
        guard n.count >= 2, let first = n.unicodeScalars.first, first.properties.isASCIIHexDigit || (first.value < 128 && first.properties.isAlphabetic) else { return false }
        return n.unicodeScalars.allSatisfy { $0.value < 128 && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "_.-".unicodeScalars.contains($0)) }
    }

    static func makeDirectories(_ path: String) throws(EstibaError) {
        do { try Files.makeDirectories(path) } catch {
            let failed = error.path ?? path
            throw EstibaError(.io, "Cannot create \(failed) for a volume: \(error.reason).", context: ["path": failed])
        }
    }
}

/// Sizes like `--memory 64m` (bytes, or with b, k, m, g; powers of 1024, as Docker reads them); nil for what is
/// not a positive size an Int64 holds.
public enum ByteSize {
    public static func parse(_ text: String) -> Int64? {
        let t = text.lowercased()
        guard let last = t.last else { return nil }
        let units: [Character: Int64] = ["b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30]
        if let unit = units[last] {
            let number = t.dropLast()
            if let n = Int64(number) {
                let (bytes, overflow) = n.multipliedReportingOverflow(by: unit)
                return n > 0 && !overflow ? bytes : nil
            }
            // A fraction (like 1.5g): whole bytes, and none beyond what an Int64 holds.
            guard let n = Double(number), n.isFinite, n > 0 else { return nil }
            return Int64(exactly: (n * Double(unit)).rounded(.down)).flatMap { $0 > 0 ? $0 : nil }
        }
        guard let n = Int64(t), n > 0 else { return nil }
        return n
    }
}

extension Engine {
    /// A container's volumes: its `-v` specs resolved, then an anonymous volume for each of the image's VOLUMEs
    /// no `-v` covers (as with Docker). New volumes start with the image's files at their path (`layers`: the
    /// image's, top first). Returns the mounts and the anonymous volumes' names.
    func containerVolumes(_ specs: [String], imageVolumes: [String], layers: [String], store: ImageStore)
        async throws(EstibaError) -> (mounts: [VolumeMount], anonymous: [String])
    {
        var (mounts, created) = try VolumeSpecs.resolve(specs, root: configuration.root)
        var anonymous: [String] = []
        for v in imageVolumes where !mounts.contains(where: { $0.target == v }) {
            let (volumeName, path) = try VolumeSpecs.anonymous(root: configuration.root)
            anonymous.append(volumeName)
            let m = VolumeMount(source: path, target: v, readOnly: false)
            mounts.append(m)
            created.append(m)
        }
        let root = configuration.root
        for v in created {
            do throws(EstibaError) {
                // Made under the content lock: a collection sees the scratch directory only once it is locked.
                let scratch = try await store.withContentHeld { () throws(EstibaError) in try VolumeSeeder.scratchSpace(root: root) }
                try VolumeSeeder.seed(volume: v.source, image: layers, path: v.target, root: root, scratch: scratch)
            } catch {
                throw EstibaError(.io, "Cannot fill the new volume for \(v.target) from the image: \(error.message)", context: ["volume": v.target])
            }
        }
        return (mounts, anonymous)
    }
}

/// A volume in the store.
public struct VolumeInfo: Sendable {
    public var name: String
    /// Where its files are (`volumes/<name>/_data`).
    public var mountpoint: String
    /// Containers that mount it.
    public var usedBy: [String]
}

extension Engine {
    /// Every volume, by name, with the containers that use it.
    public func volumes() throws(EstibaError) -> [VolumeInfo] {
        let layout = StoreLayout(root: configuration.root)
        guard let all = try? FileDescriptor.open(layout.volumes, .directory).names() else { return [] }
        let names = all.filter { !$0.hasPrefix(".") }
        let users = try volumeUsers()
        return names.map { VolumeInfo(name: $0, mountpoint: layout.volumeData($0), usedBy: users[$0] ?? []) }
    }

    /// Creates a named volume (nothing happens when it exists).
    public func createVolume(_ name: String) throws(EstibaError) -> VolumeInfo {
        guard VolumeSpecs.validName(name) else {
            throw EstibaError(.invalidArgument, "Invalid volume name \"\(name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit.", context: ["volume": name])
        }
        let path = StoreLayout(root: configuration.root).volumeData(name)
        try VolumeSpecs.makeDirectories(path)
        return VolumeInfo(name: name, mountpoint: path, usedBy: try volumeUsers()[name] ?? [])
    }

    /// Removes volumes; one a container uses only with `force` (like `docker volume rm -f`, which still refuses
    /// running ones: so does this).
    public func removeVolumes(_ names: [String], force: Bool) throws(EstibaError) -> [String] {
        let users = try volumeUsers()
        let running = Set(try containers(all: false).map(\.name))
        var removed: [String] = []
        for name in names {
            guard VolumeSpecs.validName(name) || (name.count == 64 && name.allSatisfy(\.isHexDigit)) else {
                throw EstibaError(.invalidArgument, "Invalid volume name \"\(name)\".", context: ["volume": name])
            }
            let dir = StoreLayout(root: configuration.root).volume(name)
            guard Files.exists(dir) else { throw EstibaError(.notFound, "No such volume: \(name). Run `estiba volume ls` to list volumes.", context: ["volume": name]) }
            if let u = users[name], !u.isEmpty, !force || u.contains(where: running.contains) {
                throw EstibaError(.conflict, "Volume \(name) is in use by container \(u.joined(separator: ", ")); remove the container first.", context: ["volume": name])
            }
            try containerStore().removeTree(dir)
            removed.append(name)
        }
        return removed
    }

    /// Volume names → the containers whose bundles mount them.
    func volumeUsers() throws(EstibaError) -> [String: [String]] {
        let prefix = StoreLayout(root: configuration.root).volumes + "/"
        var out: [String: [String]] = [:]
        let store = try containerStore()
        for c in try containers() {
            guard let bytes = try? Files.read(BundleFiles(directory: store.path(c.id)).config), let config = try? JSONValue.parse(bytes) else { continue }
            for m in config["mounts"]?.arrayValue ?? [] {
                guard let source = m["source"]?.stringValue, source.hasPrefix(prefix) else { continue }
                let name = String(source.dropFirst(prefix.count).split(separator: "/").first ?? "")
                out[name, default: []].append(c.name)
            }
        }
        return out
    }
}
