import System

/// Where everything lives under the store root (see DESIGN §3).
public struct StoreLayout: Sendable {
    public let root: String

    public init(root: String) {
        var r = root
        while r.count > 1, r.hasSuffix("/") { r.removeLast() }
        self.root = r
    }

    /// An OCI image layout other tools can read as-is.
    public var oci: String { root + "/oci" }
    public var ociLayoutFile: String { oci + "/oci-layout" }
    public var indexFile: String { oci + "/index.json" }
    public var blobs: String { oci + "/blobs/sha256" }
    /// Repository digests by image ID (see `RepoDigestTable`), beside the layout.
    public var repoDigestsFile: String { root + "/repodigests.json" }
    public func blob(_ d: Digest) -> String { blobs + "/" + d.hex }
    /// Extracted layers by chain ID: overlay lower directories.
    public var snapshots: String { root + "/snapshots" }
    public func snapshot(_ chainID: Digest) -> String { snapshots + "/" + chainID.hex }
    public func snapshotTree(_ chainID: Digest) -> String { snapshot(chainID) + "/fs" }
    /// Per-layer facts (content size) by diff ID.
    public var layers: String { root + "/layers" }
    public func layerInfo(_ diffID: Digest) -> String { layers + "/" + diffID.hex + ".json" }
    /// A layer's compressed form a push made (`gzip`, `zstd`), by diff ID.
    func compressedLayerInfo(_ diffID: Digest, _ compression: String) -> String { layers + "/" + diffID.hex + "." + compression + ".json" }
    /// The registry repositories known to hold a blob, by its digest.
    func blobSources(_ digest: Digest) -> String { layers + "/" + digest.hex + ".sources.json" }
    public var containers: String { root + "/containers" }
    public func container(_ id: String) -> String { containers + "/" + id }
    /// Named and anonymous volumes: `volumes/<name>/_data`.
    public var volumes: String { root + "/volumes" }
    public func volume(_ name: String) -> String { volumes + "/" + name }
    public func volumeData(_ name: String) -> String { volume(name) + "/_data" }
    /// The build's step cache (`records/`, `parents/`, `instructions/`, `images/`, and an empty directory).
    public var buildCache: String { root + "/build-cache" }
    public var tmp: String { root + "/tmp" }
    /// One file per live operation's lease, locked by its process while it lives (see `StoreLease`).
    public var leases: String { root + "/leases" }
    public func lease(_ id: String) -> String { leases + "/" + id }
    public var locks: String { root + "/locks" }
    public var indexLock: String { locks + "/index.lock" }
    /// Held shared by work on blobs, snapshots and `tmp/`, exclusively by `prune` (see `ContentLease`).
    var contentLock: String { locks + "/content.lock" }

    /// Creates the directories, the OCI layout marker and an empty index if missing.
    func create() throws(EstibaError) {
        try Self.makeDirectory(root, permissions: 0o700)
        try makeRootPrivate()
        for d in [oci, oci + "/blobs", blobs, snapshots, layers, containers, tmp, leases, locks] { try Self.makeDirectory(d, permissions: 0o700) }
        for d in [oci, oci + "/blobs", blobs] { try? Files.setPermissions(d, 0o755) }
        guard !Files.exists(ociLayoutFile) || !Files.exists(indexFile) else { return }
        // Under the index lock, like every index write: a process opening the store meanwhile neither clears the
        // files staged in tmp/ nor has its index replaced by an empty one.
        let lock = try lockIndex()
        defer { lock.close() }
        if !Files.exists(ociLayoutFile) {
            try write(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: ociLayoutFile)
        }
        if !Files.exists(indexFile) {
            try write(ImageIndex().json.encoded(), to: indexFile)
        }
    }

    /// Creates the directory `path` unless something by that name is there already.
    static func makeDirectory(_ path: String, permissions: UInt32) throws(EstibaError) {
        do { try Files.makeDirectory(path, permissions: permissions) } catch {
            if !error.isAlreadyExisting { throw error }
        }
    }

    /// Replaces the file at `path` with `bytes` atomically and durably, staged in `tmp/`.
    func write(_ bytes: [UInt8], to path: String) throws(EstibaError) {
        try AtomicFile.write(bytes, to: path, stagingDirectory: tmp)
    }

    /// A new file in `tmp/`, to be put in place under a name known once it is written.
    func stagedFile() throws(EstibaError) -> StagedFile {
        try StagedFile(stagingDirectory: tmp)
    }

    /// A new empty directory in `tmp/`; returns its path.
    func stagingDirectory() throws(EstibaError) -> String {
        try Files.makeTemporaryDirectory(in: tmp, prefix: "dir-")
    }

    /// Opens (creating) the lock file at `path`; the lock is taken on the returned descriptor.
    func openLock(_ path: String) throws(EstibaError) -> FileDescriptor {
        do { return try FileDescriptor.open(path, [.readWrite, .create], permissions: 0o600) } catch {
            throw EstibaError.io("Cannot open lock file", path, error)
        }
    }

    /// Holds the index lock (other processes wait) until the returned descriptor is closed.
    func lockIndex() throws(EstibaError) -> FileDescriptor {
        let file = try openLock(indexLock)
        try file.lock(exclusive: true)
        return file
    }

    /// The root holds image configs and layers (build arguments, ENV values): only its owner may enter it. A root
    /// that others can read is made 0700 when it is ours, and refused otherwise.
    func makeRootPrivate() throws(EstibaError) {
        let directory: FileDescriptor
        do { directory = try FileDescriptor.open(root, .directory) } catch {
            throw EstibaError.io("Cannot open the store root", root, error)
        }
        let status: FileStatus
        do { status = try directory.status() } catch {
            throw EstibaError.io("Cannot inspect the store root", root, error)
        }
        let mode = status.permissions
        guard mode & 0o077 != 0 else { return }
        let octal = String(mode, radix: 8)
        guard status.userID == Processes.effectiveUserID else {
            throw EstibaError(
                .conflict,
                "The store root \(root) has mode \(octal) and belongs to uid \(status.userID), so other users can read its images; run `chmod 700 \(root)` as its owner, or use another root.",
                context: ["path": root])
        }
        do { try directory.setPermissions(0o700) } catch {
            throw EstibaError(
                .io,
                "The store root \(root) has mode \(octal), so other users can read its images, and it cannot be made private: \(error.reason). Run `chmod 700 \(root)`, or use another root.",
                context: ["path": root])
        }
    }
}
