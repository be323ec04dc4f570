import ImageStore
import Registry
import System

// Pushes to registries.
public typealias PushEvent = Registry::PushEvent
public typealias PushLayerStatus = Registry::PushLayerStatus
public typealias PushResult = Registry::PushResult
public typealias PushOptions = Registry::PushOptions
public typealias LayerCompression = ImageStore::LayerCompression
public typealias PushEventHandler = @Sendable (PushEvent) -> Void

extension Engine {
    /// Pushes the local image `reference` names (`NAME[:TAG]`, normalised as Docker does; `latest` when it names
    /// no tag) to its registry under that tag, with credentials from the Docker and containers credential files
    /// and helpers when the registry asks for them. `compression`: `gzip` (the default) or `zstd`. Progress goes
    /// to `onEvent`; the result names the manifest digest and size the registry now holds, which the image's
    /// repository digests then include (`NAME@sha256:…`).
    public func push(
        _ reference: String, compression: String? = nil, options: PushOptions = PushOptions(), onEvent: @escaping PushEventHandler = { _ in }
    ) async throws(EstibaError) -> PushResult {
        var remote = try RemoteReference(parsing: reference)
        guard remote.digest == nil else {
            throw EstibaError(.invalidArgument, "Cannot push a digest reference (\(reference)); push NAME[:TAG].", context: ["reference": reference])
        }
        if remote.tag == nil { remote.tag = "latest" }
        var options = options
        if let compression {
            guard let chosen = LayerCompression(rawValue: compression) else {
                throw EstibaError(
                    .invalidArgument, "Unknown compression \"\(compression)\"; use gzip or zstd.", context: ["compression": compression])
            }
            options.compression = chosen
        }
        let local = remote.localReference?.description ?? reference
        let credentials = CredentialLookup { [remote] () throws(EstibaError) -> RegistryCredentials? in
            try CredentialSources.process.credentials(domain: remote.domain, repository: remote.repository)
        }
        return try await withStore { [remote, options] store throws(EstibaError) in
            let image: ImageRecord
            do throws(EstibaError) { image = try await store.use(local) } catch {
                guard error.code == .notFound else { throw error }
                throw EstibaError(
                    .notFound, "An image does not exist locally with the tag: \(remote.familiarName); tag one with estiba tag IMAGE \(local).",
                    context: ["image": local])
            }
            let result = try await Pusher(store: store, reference: remote, credentials: credentials, options: options).push(image, onEvent: onEvent)
            // The registry now holds it under that digest: Docker's RepoDigests gains NAME@digest.
            try await store.addRepoDigest(image: result.imageID, name: remote.familiarName, digest: result.digest)
            return result
        }
    }
}
