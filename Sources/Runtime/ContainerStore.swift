import EstibaJSON
import Glibc
import System
import ImageStore

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

    /// The containers of the store at `root` (its `containers/` directory).
    public init(root: String) throws(RuntimeError) {
        try self.init(directory: StoreLayout(root: root).containers)
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

    /// Names are claimed atomically (a file created with O_EXCL), so two processes cannot take the same one.
    var names: String { directory + "/.names" }

    /// Docker's rule for container names: `[a-zA-Z0-9][a-zA-Z0-9_.-]+`.
    public static func validName(_ name: String) -> Bool {
        let u = Array(name.utf8)
        func alnum(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
        guard u.count >= 2, u.count <= 128, alnum(u[0]) else { return false }
        return u.allSatisfy { alnum($0) || $0 == 0x5F || $0 == 0x2E || $0 == 0x2D }
    }

    /// Makes the container's directories (its snapshot on the record's lower directories, and the mount point)
    /// and writes its record; fails if the name is taken.
    @discardableResult
    public func create(_ record: ContainerRecord) throws(RuntimeError) -> ActiveSnapshot {
        guard Self.validName(record.name) else {
            throw RuntimeError("Invalid container name \"\(record.name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit.")
        }
        if mkdir(names, 0o700) != 0, errno != EEXIST {
            throw RuntimeError("Cannot create \(names): \(String(cString: strerror(errno))).")
        }
        let claim = open(names + "/" + record.name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard claim >= 0 else {
            let holder = all().first { $0.name == record.name }.map { " by container " + $0.id.prefix(12) } ?? ""
            throw RuntimeError("The name \"\(record.name)\" is already used\(holder); remove it (estiba rm \(record.name)) or choose another name.")
        }
        _ = record.id.withCString { Glibc.write(claim, $0, strlen($0)) }
        close(claim)
        let base = path(record.id)
        let snapshot: ActiveSnapshot
        do throws(RuntimeError) {
            let rootfs = BundleFiles(directory: base).rootfs
            for d in [base, rootfs] where mkdir(d, 0o700) != 0 {
                throw RuntimeError("Cannot create \(d): \(String(cString: strerror(errno))).")
            }
            chmod(rootfs, 0o755)
            snapshot = try ActiveSnapshot.prepare(in: base, parents: record.lowerDirectories)
        } catch {
            unlink(names + "/" + record.name)
            throw error
        }
        try save(record)
        return snapshot
    }

    public func save(_ record: ContainerRecord) throws(RuntimeError) {
        try write(record.json.encodedPretty(), to: path(record.id) + "/record.json")
    }

    public func write(_ bytes: [UInt8], to file: String) throws(RuntimeError) {
        do { try AtomicFile.write(bytes, to: file) } catch { throw RuntimeError(error.message) }
    }

    public func all() -> [ContainerRecord] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var out: [ContainerRecord] = []
        while let ent = readdir(dir) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(".") { continue }
            guard let bytes = FileContents.read(path(name) + "/record.json"), let v = try? JSONValue.parse(bytes),
                let r = ContainerRecord(json: v)
            else { continue }
            out.append(r)
        }
        return out.sorted { $0.created > $1.created }
    }

    /// By name, full ID or unique ID prefix.
    /// An empty reference is refused: as a prefix it would match every ID.
    public func find(_ spec: String) throws(RuntimeError) -> ContainerRecord {
        guard !spec.isEmpty, !spec.allSatisfy(\.isWhitespace) else {
            throw RuntimeError("A container reference cannot be empty; give a container name or ID (see `estiba ps -a`).")
        }
        let records = all()
        if let r = records.first(where: { $0.name == spec || $0.id == spec }) { return r }
        let matches = records.filter { $0.id.hasPrefix(spec) }
        if matches.count == 1, let only = matches.first { return only }
        if matches.count > 1 { throw RuntimeError("\"\(spec)\" matches \(matches.count) containers; give more of the ID.") }
        throw RuntimeError("No such container: \(spec). Run `estiba ps -a` to list containers.")
    }

    /// Deletes the container's directory (its writable layer included) and frees its name.
    public func remove(_ id: String) {
        let base = path(id)
        if let record = FileContents.read(base + "/record.json").flatMap({ try? JSONValue.parse($0) }).flatMap(ContainerRecord.init(json:)) {
            unlink(names + "/" + record.name)
            // Its anonymous volumes go with it (named volumes stay).
            let volumes = PathText.parent(directory) + "/volumes/"
            for v in record.anonymousVolumes where v.count == 64 && v.allSatisfy(\.isHexDigit) { removeTree(volumes + v) }
        }
        // A container's mounts live in its own mount namespace; its directory is plain files.
        _ = umount2(BundleFiles(directory: base).rootfs, Int32(MNT_DETACH))
        // Move it out of sight first: a monitor still recording the exit then finds no directory to write in,
        // instead of bringing the record back into a half-removed one.
        let doomed = directory + "/.removing-\(id)-\(getpid())"
        removeTree(rename(base, doomed) == 0 ? doomed : base)
    }

    public func removeTree(_ path: String) {
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

enum PathText {
    static func parent(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/"), i != p.startIndex else { return "/" }
        return String(p[..<i])
    }
}
