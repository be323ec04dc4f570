import EstibaJSON
import ImageStore
import System

/// Containers on disk: `containers/<id>/` holds record.json, upper/ (the writable layer), work/, rootfs/ (the
/// mount point), the files mounted over /etc/hosts, /etc/hostname and /etc/resolv.conf, and the OCI bundle
/// config.json.
public struct ContainerStore: Sendable {
    public let directory: String

    public init(directory: String) throws(EstibaError) {
        self.directory = directory
        try Self.makeDirectory(directory)
    }

    /// The containers of the store at `root` (its `containers/` directory).
    public init(root: String) throws(EstibaError) {
        try self.init(directory: StoreLayout(root: root).containers)
    }

    public func path(_ id: String) -> String { directory + "/" + id }

    /// A new 64-hex container ID (from the system's secure random source).
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
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
    public func create(_ record: ContainerRecord) throws(EstibaError) -> ActiveSnapshot {
        guard Self.validName(record.name) else {
            throw EstibaError.runtime("Invalid container name \"\(record.name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit.", code: .invalidArgument)
        }
        try Self.makeDirectory(names)
        // The claim stays locked until the record is written: a claim with neither a record nor a live claimant
        // was left by a process killed in between, and is taken over.
        guard let claim = claimName(record) else {
            let holder = all().first { $0.name == record.name }.map { " by container " + $0.id.prefix(12) } ?? ""
            throw EstibaError.runtime("The name \"\(record.name)\" is already used\(holder); remove it (estiba rm \(record.name)) or choose another name.", code: .conflict)
        }
        defer { claim.close() }
        let base = path(record.id)
        let snapshot: ActiveSnapshot
        do throws(EstibaError) {
            let rootfs = BundleFiles(directory: base).rootfs
            for d in [base, rootfs] {
                do { try Files.makeDirectory(d, permissions: 0o700) } catch { throw EstibaError.runtime(cannot: "create \(d)", error) }
            }
            try? Files.setPermissions(rootfs, 0o755)
            snapshot = try ActiveSnapshot.prepare(in: base, parents: record.lowerDirectories)
        } catch {
            try? Files.remove(names + "/" + record.name)
            throw error
        }
        try save(record)
        return snapshot
    }

    /// Claims `candidate`'s name: the claim file, locked, holding its ID; nil when a container or a live claimant
    /// has it. Claims are made and judged under a lock of the names directory itself (flock), so a new claim is
    /// locked before anyone can judge it.
    private func claimName(_ candidate: ContainerRecord) -> FileDescriptor? {
        guard let directory = try? FileDescriptor.open(names, .directory), (try? directory.lock(exclusive: true)) == true
        else { return nil }
        defer { directory.close() }
        let path = names + "/" + candidate.name
        for _ in 0..<2 {
            if let claim = try? FileDescriptor.open(path, [.writeOnly, .create, .exclusive], permissions: 0o600) {
                guard (try? claim.lock(exclusive: true, wait: false)) == true else { return nil }
                try? claim.writeAll(candidate.id)
                return claim
            }
            guard let existing = try? FileDescriptor.open(path, [.readOnly, .noFollow]),
                (try? existing.lock(exclusive: true, wait: false)) == true
            else { return nil }  // its claimant is still creating it
            let owner = String(decoding: (try? Files.read(path, upTo: 128)) ?? [], as: UTF8.self)
            guard owner.isEmpty || record(owner) == nil else { return nil }  // a container has it
            try? Files.remove(path)
        }
        return nil
    }

    /// Records that `record`'s container ended with `code`: removed when it was to be (`autoRemove`), else
    /// exited, with the time. Whoever sees a container end records it here. Returns the record as it now stands
    /// (nil: removed).
    @discardableResult
    public func recordExit(_ record: ContainerRecord, code: Int32) -> ContainerRecord? {
        recordEnd(record) { r in
            r.state = .exited
            r.exitCode = code
            r.finishedAt = Clocks.wallSeconds
        }
    }

    /// Records that a start of `record` never ran its command (its caller died before letting it go): created again,
    /// as if never started, or removed when it was to be removed. Returns the record, nil when removed.
    public func recordNeverStarted(_ record: ContainerRecord) -> ContainerRecord? {
        recordEnd(record) { r in
            r.state = .created
            r.startedAt = nil
        }
    }

    /// The end of a start, however it went: its network released (attached again at its next start), then the
    /// container removed when it was to be, else recorded as `change` says, with no process, supervisor or
    /// published ports, and its keeper's exit file gone (a later start's keeper or monitor must not find it). Its
    /// networks are those stored now (`network connect` and `disconnect` change them while it runs).
    private func recordEnd(_ record: ContainerRecord, _ change: (inout ContainerRecord) -> Void) -> ContainerRecord? {
        ContainerNetworking.release(containerID: record.id)
        if record.autoRemove {
            remove(record.id)
            return nil
        }
        var r = record
        r.takeNetworks(of: self.record(record.id))
        change(&r)
        r.pid = nil
        r.monitorPid = nil
        r.publishedPorts = []
        try? save(r)
        try? Files.remove(exitFile(r.id))
        return r
    }

    /// Removes what killed operations left in the container directory: a container's directory without a record
    /// whose creator is gone (its name claim is unlocked, or gone), and the directories of removals whose process
    /// died part-way.
    public func removeAbandonedDirectories() {
        guard let entries = try? FileDescriptor.open(directory, .directory).names() else { return }
        for entry in entries where entry.hasPrefix(".removing-") {
            let pid = entry.split(separator: "-").last.flatMap { Int32($0) }
            if let pid, !Processes.exists(pid) {
                ContainerNetworking.release(containerID: String(entry.dropFirst(".removing-".count).prefix(64)))
                removeTree(directory + "/" + entry)
            }
        }
        // Only the existence of records at first (every start of a process passes here; `all()` reads them next).
        let recordless = entries.filter { !$0.hasPrefix(".") && !Files.exists(path($0) + "/record.json") }
        guard !recordless.isEmpty, let claims = try? FileDescriptor.open(names, .directory) else { return }
        defer { claims.close() }
        // Judged under the names directory's lock, like every claim.
        guard (try? claims.lock(exclusive: true)) == true else { return }
        let claimNames = (try? claims.names()) ?? []
        for id in recordless {
            var creatorAlive = false
            for name in claimNames {
                let path = names + "/" + name
                guard String(decoding: (try? Files.read(path, upTo: 128)) ?? [], as: UTF8.self) == id else { continue }
                guard let claim = try? FileDescriptor.open(path, [.readOnly, .noFollow]) else { continue }
                defer { claim.close() }
                if (try? claim.lock(exclusive: true, wait: false)) == true {
                    try? Files.remove(path)
                } else {
                    creatorAlive = true
                }
            }
            // The record may have been written since the listing.
            if !creatorAlive, record(id) == nil {
                ContainerNetworking.release(containerID: id)
                removeTree(path(id))
            }
        }
    }

    /// Where a container's keeper writes its exit code (see `Keeping`).
    public func exitFile(_ id: String) -> String { path(id) + "/exit" }

    public func save(_ record: ContainerRecord) throws(EstibaError) {
        try write(record.json.encodedPretty(), to: path(record.id) + "/record.json")
    }

    public func write(_ bytes: [UInt8], to file: String) throws(EstibaError) {
        do { try AtomicFile.write(bytes, to: file) } catch { throw error.recoded(.io) }
    }

    public func all() -> [ContainerRecord] {
        let names = (try? FileDescriptor.open(directory, .directory).names()) ?? []
        return names.filter { !$0.hasPrefix(".") }.compactMap(record).sorted { $0.created > $1.created }
    }

    /// The record of container `id`; nil when it has none that reads.
    public func record(_ id: String) -> ContainerRecord? {
        (try? Files.read(path(id) + "/record.json")).flatMap { try? JSONValue.parse($0) }.flatMap(ContainerRecord.init(json:))
    }

    /// By name, full ID or unique ID prefix.
    /// An empty reference is refused: as a prefix it would match every ID.
    public func find(_ spec: String) throws(EstibaError) -> ContainerRecord {
        guard !spec.isEmpty, !spec.allSatisfy(\.isWhitespace) else {
            throw EstibaError.runtime("A container reference cannot be empty; give a container name or ID (see `estiba ps -a`).", code: .invalidArgument)
        }
        let records = all()
        if let r = records.first(where: { $0.name == spec || $0.id == spec }) { return r }
        let matches = records.filter { $0.id.hasPrefix(spec) }
        if matches.count == 1, let only = matches.first { return only }
        if matches.count > 1 { throw EstibaError.runtime("\"\(spec)\" matches \(matches.count) containers; give more of the ID.", code: .conflict) }
        throw EstibaError.runtime("No such container: \(spec). Run `estiba ps -a` to list containers.", code: .notFound)
    }

    /// Deletes the container's directory (its writable layer included) and frees its name.
    public func remove(_ id: String) {
        let base = path(id)
        if let record = record(id) {
            try? Files.remove(names + "/" + record.name)
            // Its anonymous volumes go with it (named volumes stay).
            let volumes = PathText.parent(directory) + "/volumes/"
            for v in record.anonymousVolumes where v.count == 64 && v.allSatisfy(\.isHexDigit) { removeTree(volumes + v) }
        }
        // A container's mounts live in its own mount namespace; its directory is plain files. Its network (if
        // it still runs, or its end was not recorded) goes first: interfaces, addresses, published ports, names.
        ContainerNetworking.release(containerID: id)
        try? Mounts.detach(BundleFiles(directory: base).rootfs)
        // Move it out of sight first: a monitor still recording the exit then finds no directory to write in,
        // instead of bringing the record back into a half-removed one.
        let doomed = directory + "/.removing-\(id)-\(Processes.currentID)"
        removeTree((try? Files.rename(base, to: doomed)) != nil ? doomed : base)
    }

    /// Removes `path` and everything below it, best effort (links are removed, never followed).
    public func removeTree(_ path: String) { try? Files.removeTree(path) }

    /// Creates `path` (owner only) unless something is there already.
    private static func makeDirectory(_ path: String) throws(EstibaError) {
        do { try Files.makeDirectory(path, permissions: 0o700) } catch {
            guard error.isAlreadyExisting else { throw EstibaError.runtime(cannot: "create \(path)", error) }
        }
    }
}

enum PathText {
    static func parent(_ p: String) -> String {
        guard let i = p.lastIndex(of: "/"), i != p.startIndex else { return "/" }
        return String(p[..<i])
    }
}
