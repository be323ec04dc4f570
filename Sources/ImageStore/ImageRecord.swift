/// An image in the store.
public struct ImageRecord: Sendable {
    /// The image ID: the digest of the config bytes.
    public var id: Digest
    public var manifestDigest: Digest
    public var manifest: Manifest
    public var config: ImageConfig
    public var configBytes: [UInt8]
    /// Tags pointing at this image (empty: a dangling image, `<none>:<none>`).
    public var references: [ImageReference]
    /// Bytes of file content in the image's layers (what `docker images` shows as SIZE).
    public var size: Int64
    /// One per layer, base first.
    public var chainIDs: [Digest]
    /// Content bytes each layer adds, base first.
    public var layerSizes: [Int64]
    /// The `NAME@sha256:…` references it was pulled or pushed by (Docker's `RepoDigests`), sorted.
    public var repoDigests: [RepoDigest] = []
}

/// Where an imported root filesystem comes from.
public enum ImportSource: Sendable {
    case directory(String)
    /// A tar archive, plain or compressed (gzip, zstd, xz, bzip2).
    case tarball(String)

    /// The directory or archive.
    public var path: String {
        switch self {
        case .directory(let p), .tarball(let p): p
        }
    }
}

/// What removing an image did, in the order it happened (like `docker rmi` output).
public enum RemovalEvent: Sendable, Equatable, CustomStringConvertible {
    case untagged(ImageReference)
    /// A repository digest removed (`Untagged: busybox@sha256:…`).
    case untaggedDigest(RepoDigest)
    case deleted(Digest)

    public var description: String {
        switch self {
        case .untagged(let r): return "Untagged: \(r)"
        case .untaggedDigest(let r): return "Untagged: \(r)"
        case .deleted(let d): return "Deleted: \(d)"
        }
    }
}

/// What `verify` found.
public struct VerifyReport: Sendable {
    public var blobsChecked: Int
    public var problems: [String]
}

/// What `prune` removed.
public struct PruneReport: Sendable, Equatable {
    public var blobs: Int
    public var snapshots: Int
    public var bytes: Int64
}
