import ImageStore

/// The outcome of a pull.
public struct PullResult: Sendable {
    /// The reference pulled, normalised (`docker.io/library/busybox:latest`).
    public var reference: RemoteReference
    /// The digest of the manifest (or index) the reference resolved to.
    public var digest: Digest
    /// The image in the store; its ID is the config digest.
    public var image: ImageRecord
    /// False when the store already had the image under this reference.
    public var downloaded: Bool
}
