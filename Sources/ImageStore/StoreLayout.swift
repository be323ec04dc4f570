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
    public func blob(_ d: Digest) -> String { blobs + "/" + d.hex }
    /// Extracted layers by chain ID: overlay lower directories.
    public var snapshots: String { root + "/snapshots" }
    public func snapshot(_ chainID: Digest) -> String { snapshots + "/" + chainID.hex }
    public func snapshotTree(_ chainID: Digest) -> String { snapshot(chainID) + "/fs" }
    /// Per-layer facts (content size) by diff ID.
    public var layers: String { root + "/layers" }
    public func layerInfo(_ diffID: Digest) -> String { layers + "/" + diffID.hex + ".json" }
    public var containers: String { root + "/containers" }
    public func container(_ id: String) -> String { containers + "/" + id }
    /// Named and anonymous volumes: `volumes/<name>/_data`.
    public var volumes: String { root + "/volumes" }
    public func volume(_ name: String) -> String { volumes + "/" + name }
    public func volumeData(_ name: String) -> String { volume(name) + "/_data" }
    /// The build's step cache (`records/`, `parents/`, `instructions/`, `images/`, and an empty directory).
    public var buildCache: String { root + "/build-cache" }
    public var tmp: String { root + "/tmp" }
    public var locks: String { root + "/locks" }
    public var indexLock: String { locks + "/index.lock" }
    /// Held shared by work on blobs, snapshots and `tmp/`, exclusively by `prune` (see `ContentLease`).
    var contentLock: String { locks + "/content.lock" }

    /// Creates the directories and the OCI layout marker if missing.
    func create() throws(StoreError) {
        try FileSystem.makeDirectory(root)
        try makeRootPrivate()
        for d in [oci, oci + "/blobs", blobs, snapshots, layers, containers, tmp, locks] { try FileSystem.makeDirectory(d, mode: 0o700) }
        chmod(oci, 0o755)
        chmod(oci + "/blobs", 0o755)
        chmod(blobs, 0o755)
        if !FileSystem.exists(ociLayoutFile) {
            try FileSystem.atomicWrite(Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8), to: ociLayoutFile, tmpDir: tmp)
        }
        if !FileSystem.exists(indexFile) {
            try FileSystem.atomicWrite(ImageIndex().json.encoded(), to: indexFile, tmpDir: tmp)
        }
    }

    /// The root holds image configs and layers (build arguments, ENV values): only its owner may enter it. A root
    /// that others can read is made 0700 when it is ours, and refused otherwise.
    func makeRootPrivate() throws(StoreError) {
        let fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("Cannot open the store root", root, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io("Cannot inspect the store root", root, errno: errno) }
        let mode = st.st_mode & 0o7777
        guard mode & 0o077 != 0 else { return }
        let octal = String(mode, radix: 8)
        guard st.st_uid == geteuid() else {
            throw StoreError(
                .conflict,
                "The store root \(root) has mode \(octal) and belongs to uid \(st.st_uid), so other users can read its images; run `chmod 700 \(root)` as its owner, or use another root.",
                context: ["path": root])
        }
        guard fchmod(fd, 0o700) == 0 else {
            let e = errno
            throw StoreError(
                .io,
                "The store root \(root) has mode \(octal), so other users can read its images, and it cannot be made private: \(SystemText.strerror(e)). Run `chmod 700 \(root)`, or use another root.",
                context: ["path": root])
        }
    }
}

import Glibc
