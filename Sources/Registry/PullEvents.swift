import ImageStore

/// What a pull reports as it goes.
public enum PullEvent: Sendable, Equatable {
    /// The manifest is resolved: `tagOrDigest` of `repository` (Docker's `latest: Pulling from library/busybox`).
    case resolving(tagOrDigest: String, repository: String)
    /// A layer's progress; `id` is its blob digest.
    case layer(id: Digest, LayerStatus)
}

/// Where one layer of a pull is.
public enum LayerStatus: Sendable, Equatable {
    case alreadyExists
    case waiting
    case downloading(bytes: Int64, total: Int64)
    case verifying
    case downloaded
    case extracting
    case complete

    /// Docker's word for it (`Pull complete`, `Already exists`…).
    public var text: String {
        switch self {
        case .alreadyExists: "Already exists"
        case .waiting: "Waiting"
        case .downloading: "Downloading"
        case .verifying: "Verifying Checksum"
        case .downloaded: "Download complete"
        case .extracting: "Extracting"
        case .complete: "Pull complete"
        }
    }

    /// The name of the state in progress notifications.
    public var name: String {
        switch self {
        case .alreadyExists: "already-exists"
        case .waiting: "waiting"
        case .downloading: "downloading"
        case .verifying: "verifying"
        case .downloaded: "downloaded"
        case .extracting: "extracting"
        case .complete: "done"
        }
    }
}
