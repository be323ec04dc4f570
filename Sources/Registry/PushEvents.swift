import ImageStore

/// What a push reports as it goes.
public enum PushEvent: Sendable, Equatable {
    /// The repository pushed to (Docker's `The push refers to repository [docker.io/library/busybox]`).
    case repository(String)
    /// A layer's progress; `id` is its diff ID (Docker shows that for pushes).
    case layer(id: Digest, PushLayerStatus)
}

/// Where one layer of a push is.
public enum PushLayerStatus: Sendable, Equatable {
    case preparing
    case waiting
    case pushing(bytes: Int64, total: Int64)
    case pushed
    case alreadyExists
    case mounted(from: String)

    /// Docker's words for it (`Pushed`, `Layer already exists`, `Mounted from library/busybox`…).
    public var text: String {
        switch self {
        case .preparing: "Preparing"
        case .waiting: "Waiting"
        case .pushing: "Pushing"
        case .pushed: "Pushed"
        case .alreadyExists: "Layer already exists"
        case .mounted(let from): "Mounted from \(from)"
        }
    }

    /// The name of the state in progress notifications.
    public var name: String {
        switch self {
        case .preparing: "preparing"
        case .waiting: "waiting"
        case .pushing: "pushing"
        case .pushed: "pushed"
        case .alreadyExists: "already-exists"
        case .mounted: "mounted"
        }
    }
}

/// The outcome of a push.
public struct PushResult: Sendable {
    /// The reference pushed, normalised (`127.0.0.1:5000/app:latest`).
    public var reference: RemoteReference
    /// The image ID (the config digest, unchanged by the push).
    public var imageID: Digest
    /// The digest and size of the manifest the registry now holds under the tag.
    public var digest: Digest
    public var size: Int64
    /// The layers' blobs as pushed, base first.
    public var layers: [CompressedBlob]
}

/// How a push sends layers.
public struct PushOptions: Sendable {
    /// How layers are compressed.
    public var compression: LayerCompression
    /// Blobs larger than this go in chunks (`PATCH` with `Content-Range`), smaller ones in one `PUT`.
    public var chunkThreshold: Int64
    /// The size of each chunk.
    public var chunkSize: Int64
    /// How many layers are compressed and sent at once.
    public var parallelUploads: Int

    public init(compression: LayerCompression = .gzip, chunkThreshold: Int64 = 128 << 20, chunkSize: Int64 = 64 << 20, parallelUploads: Int = 3) {
        self.compression = compression
        self.chunkThreshold = max(1, chunkThreshold)
        self.chunkSize = max(1, chunkSize)
        self.parallelUploads = max(1, parallelUploads)
    }
}
