import EstibaJSON
import Glibc

/// Containers on disk: `containers/<id>/` holds record.json, upper/ (the writable layer), work/, rootfs/ (the
/// mount point), the files mounted over /etc/hosts, /etc/hostname and /etc/resolv.conf, and the OCI bundle
/// config.json.
public struct ContainerStore: Sendable {
    public let directory: String

    public init(directory: String) throws(RuntimeError) {
        self.directory = directory
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw RuntimeError("Cannot create \(directory): \(String(cString: strerror(errno))).")
        }
    }

    public func path(_ id: String) -> String { directory + "/" + id }

    /// A new 64-hex container ID.
    public static func newID() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        let fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = read(fd, &bytes, 32)
            close(fd)
        }
        return bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }

    /// Makes the container's directories and writes its record; fails if the name is taken.
    public func create(_ record: ContainerRecord) throws(RuntimeError) {
        if let clash = all().first(where: { $0.name == record.name }) {
            throw RuntimeError("The name \"\(record.name)\" is already used by container \(clash.id.prefix(12)); remove it (estiba rm \(record.name)) or choose another name.")
        }
        let base = path(record.id)
        for d in [base, base + "/upper", base + "/work", base + "/rootfs"] {
            guard mkdir(d, 0o700) == 0 else { throw RuntimeError("Cannot create \(d): \(String(cString: strerror(errno))).") }
        }
        chmod(base + "/upper", 0o755)
        chmod(base + "/rootfs", 0o755)
        try save(record)
    }

    public func save(_ record: ContainerRecord) throws(RuntimeError) {
        try write(record.json.encodedPretty(), to: path(record.id) + "/record.json")
    }

    public func write(_ bytes: [UInt8], to file: String) throws(RuntimeError) {
        let tmp = file + ".tmp"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw RuntimeError("Cannot write \(file): \(String(cString: strerror(errno))).") }
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard rename(tmp, file) == 0 else { throw RuntimeError("Cannot write \(file): \(String(cString: strerror(errno))).") }
    }

    public func all() -> [ContainerRecord] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var out: [ContainerRecord] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            guard let fd = Optional(open(path(name) + "/record.json", O_RDONLY | O_CLOEXEC)), fd >= 0 else { continue }
            var bytes = [UInt8](repeating: 0, count: 1 << 16)
            let n = read(fd, &bytes, bytes.count)
            close(fd)
            if n > 0, let v = try? JSONValue.parse(Array(bytes[0..<n])), let r = ContainerRecord(json: v) { out.append(r) }
        }
        return out.sorted { $0.created > $1.created }
    }

    /// By name, full ID or unique ID prefix.
    public func find(_ spec: String) throws(RuntimeError) -> ContainerRecord {
        let records = all()
        if let r = records.first(where: { $0.name == spec || $0.id == spec }) { return r }
        let matches = records.filter { $0.id.hasPrefix(spec) }
        if matches.count == 1, let only = matches.first { return only }
        if matches.count > 1 { throw RuntimeError("\"\(spec)\" matches \(matches.count) containers; give more of the ID.") }
        throw RuntimeError("No such container: \(spec). Run `estiba ps -a` to list containers.")
    }

    /// Deletes the container's directory (its writable layer included).
    public func remove(_ id: String) {
        let base = path(id)
        // A container's mounts live in its own mount namespace; its directory is plain files.
        _ = umount2(base + "/rootfs", Int32(MNT_DETACH))
        removeTree(base)
    }

    func removeTree(_ path: String) {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            if let dir = opendir(path) {
                var names: [String] = []
                while let ent = readdir(dir) {
                    let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                    if name != ".", name != ".." { names.append(name) }
                }
                closedir(dir)
                for n in names { removeTree(path + "/" + n) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}
