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
    public var cache: String { root + "/cache" }
    public var tmp: String { root + "/tmp" }
    public var locks: String { root + "/locks" }
    public var indexLock: String { locks + "/index.lock" }

    /// Creates the directories and the OCI layout marker if missing.
    func create() throws(StoreError) {
        try FileSystem.makeDirectory(root)
        for d in [oci, oci + "/blobs", blobs, snapshots, layers, containers, cache, tmp, locks] { try FileSystem.makeDirectory(d, mode: 0o700) }
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
}

import Glibc
