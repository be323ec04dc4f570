import EstibaJSON
import Fetch
import ImageStore
import Synchronization
import System

/// Pushes an image from the store to a registry: each layer compressed once (its compressed digest remembered by
/// diff ID), asked about before it is sent, mounted from another repository of the registry when one is known to
/// hold it; then the config, unchanged (the image ID stays); then an OCI image manifest under the tag, last. A
/// failed push writes no manifest; the store only learns of blobs the registry really holds.
public struct Pusher: Sendable {
    public let store: ImageStore
    /// Where the image goes (its tag, `latest` when it names none).
    public let reference: RemoteReference
    public var options: PushOptions
    let client: RegistryClient

    /// `certificateDirectories`: where hosts' own certificate authorities are; by default containers' and Docker's.
    public init(
        store: ImageStore, reference: RemoteReference, credentials: CredentialLookup, options: PushOptions = PushOptions(),
        certificateDirectories: [String]? = nil
    ) {
        self.store = store
        self.reference = reference
        self.options = options
        client = RegistryClient(
            reference: reference, credentials: credentials,
            certificateDirectories: certificateDirectories ?? RegistryEndpoint.certificateDirectories(home: Environment.value("HOME")),
            actions: "pull,push")
    }

    /// A pusher with credentials known up front (or none).
    public init(
        store: ImageStore, reference: RemoteReference, credentials: RegistryCredentials?, options: PushOptions = PushOptions(),
        certificateDirectories: [String]? = nil
    ) {
        self.init(store: store, reference: reference, credentials: CredentialLookup(credentials), options: options, certificateDirectories: certificateDirectories)
    }

    /// The tag pushed.
    public var tag: String { reference.tag ?? "latest" }

    /// Pushes `image` (which the caller's lease holds) under the reference's tag, reporting progress to `onEvent`.
    public func push(_ image: ImageRecord, onEvent: @escaping @Sendable (PushEvent) -> Void) async throws(EstibaError) -> PushResult {
        guard reference.digest == nil else {
            throw EstibaError(.invalidArgument, "A push names a tag, not a digest; give NAME[:TAG].", context: ["reference": reference.description])
        }
        onEvent(.repository(reference.name))
        let diffIDs = image.config.diffIDs
        var unique: [Digest] = []
        for d in diffIDs where !unique.contains(d) { unique.append(d) }
        for d in unique { onEvent(.layer(id: d, .preparing)) }
        // Pull access to the repositories blobs may be mounted from goes into the token asked for.
        var sources = store.blobSources(image.id)[client.host] ?? []
        for d in unique {
            guard let known = store.compressedLayer(diffID: d, compression: options.compression) else { continue }
            sources += store.blobSources(known.digest)[client.host] ?? []
        }
        client.addMountSources(sources)
        // The registry's scheme and the token are found once, before the layers go in parallel.
        _ = try await client.baseURL()
        do throws(EstibaError) { _ = try await client.authorization() } catch {
            // Credentials missing or refused: worded for a push.
            guard error.code == .failedPrecondition, error.context["repository"] != nil else { throw error }
            throw .pushDenied(reference.domain, repository: reference.repository)
        }

        let cancellation = PullCancellation()
        let outcome: Result<[Digest: CompressedBlob], EstibaError> = await withTaskCancellationHandler {
            do throws(EstibaError) {
                let layers = try await pushLayers(unique, cancellation: cancellation, onEvent: onEvent)
                try await pushConfig(image, cancellation: cancellation)
                return .success(layers)
            } catch {
                return .failure(error)
            }
        } onCancel: {
            cancellation.set()
        }
        let blobs = try outcome.get()
        if Task.isCancelled { throw EstibaError.cancelled }

        var layers: [CompressedBlob] = []
        for d in diffIDs {
            guard let blob = blobs[d] else { throw EstibaError(.internal, "Layer \(d.short) was not pushed.") }
            layers.append(blob)
        }
        let manifest = Manifest(
            config: Descriptor(mediaType: MediaType.imageConfig, digest: image.id, size: Int64(image.configBytes.count)),
            layers: layers.map { Descriptor(mediaType: $0.mediaType, digest: $0.digest, size: $0.size) })
        let bytes = manifest.json.encoded()
        let response = try await client.send(
            "PUT", "\(reference.repository)/manifests/\(tag)", headers: [("Content-Type", MediaType.imageManifest)], body: .bytes(bytes),
            idempotent: true)
        guard response.status == 201 || response.status == 200 else { throw client.pushFailure(response, "Writing the manifest of \(reference)") }
        return PushResult(reference: reference, imageID: image.id, digest: Digest.of(bytes), size: Int64(bytes.count), layers: layers)
    }

    /// Pushes the layers, `parallelUploads` at a time; their blobs by diff ID.
    func pushLayers(_ diffIDs: [Digest], cancellation: PullCancellation, onEvent: @escaping @Sendable (PushEvent) -> Void)
        async throws(EstibaError) -> [Digest: CompressedBlob]
    {
        let outcome: Result<[Int: CompressedBlob], EstibaError> = await withTaskGroup(of: (Int, Result<CompressedBlob, EstibaError>).self) { group in
            var pending = diffIDs.indices[...]
            var pushed: [Int: CompressedBlob] = [:]
            var failure: EstibaError?
            func start() {
                guard let i = pending.popFirst() else { return }
                let diffID = diffIDs[i]
                group.addTask { (i, await self.pushLayerResult(diffID, cancellation: cancellation, onEvent: onEvent)) }
            }
            for _ in 0..<options.parallelUploads { start() }
            for i in pending { onEvent(.layer(id: diffIDs[i], .waiting)) }
            for await (i, result) in group {
                switch result {
                case .success(let blob):
                    pushed[i] = blob
                    if failure == nil { start() }
                case .failure(let e):
                    if failure == nil || failure?.code == .cancelled { failure = e }
                    cancellation.set()
                }
            }
            if let failure { return .failure(failure) }
            return .success(pushed)
        }
        var blobs: [Digest: CompressedBlob] = [:]
        for (i, blob) in try outcome.get() { blobs[diffIDs[i]] = blob }
        return blobs
    }

    /// `pushLayer`'s outcome as a value.
    func pushLayerResult(_ diffID: Digest, cancellation: PullCancellation, onEvent: @escaping @Sendable (PushEvent) -> Void) async
        -> Result<CompressedBlob, EstibaError>
    {
        do throws(EstibaError) {
            return .success(try await pushLayer(diffID, cancellation: cancellation, onEvent: onEvent))
        } catch {
            return .failure(error)
        }
    }

    /// Pushes one layer: nothing when the repository has its remembered blob, a mount when another repository of
    /// the registry does, else its compressed blob.
    func pushLayer(_ diffID: Digest, cancellation: PullCancellation, onEvent: @escaping @Sendable (PushEvent) -> Void)
        async throws(EstibaError) -> CompressedBlob
    {
        let compression = options.compression
        var started: String?
        let known = store.compressedLayer(diffID: diffID, compression: compression)
        if let known {
            switch try await reuse(known, diffID: diffID, cancellation: cancellation, onEvent: onEvent) {
            case .done: return known
            case .send(let location): started = location
            }
        }
        let (path, blob) = try await store.compressLayer(diffID: diffID, compression: compression)
        defer { try? Files.remove(path) }
        if known?.digest != blob.digest {
            switch try await reuse(blob, diffID: diffID, cancellation: cancellation, onEvent: onEvent) {
            case .done: return blob
            case .send(let location): started = location ?? started
            }
        }
        let total = blob.size
        onEvent(.layer(id: diffID, .pushing(bytes: 0, total: total)))
        let reporter = ProgressThrottle { bytes in onEvent(.layer(id: diffID, .pushing(bytes: bytes, total: total))) }
        try await upload(
            .file(path: path, offset: 0, length: blob.size), digest: blob.digest, size: blob.size, started: started, cancellation: cancellation,
            progress: reporter.report)
        try remember(blob, diffID: diffID)
        onEvent(.layer(id: diffID, .pushed))
        return blob
    }

    /// Whether a blob needs sending.
    enum Reuse {
        /// The repository has it now.
        case done
        /// It must be sent; `started`: the upload a failed mount began.
        case send(started: String?)
    }

    /// Asks the repository for the blob, then tries to mount it from another repository of the registry.
    private func reuse(_ blob: CompressedBlob, diffID: Digest, cancellation: PullCancellation, onEvent: @escaping @Sendable (PushEvent) -> Void)
        async throws(EstibaError) -> Reuse
    {
        if try await blobExists(blob.digest, cancellation: cancellation) {
            try remember(blob, diffID: diffID)
            onEvent(.layer(id: diffID, .alreadyExists))
            return .done
        }
        switch try await mount(blob.digest, cancellation: cancellation) {
        case .mounted(let from):
            try remember(blob, diffID: diffID)
            onEvent(.layer(id: diffID, .mounted(from: from)))
            return .done
        case .notMounted(let location):
            return .send(started: location)
        }
    }

    /// Remembers that this repository holds the blob, the compressed form of `diffID`.
    func remember(_ blob: CompressedBlob, diffID: Digest) throws(EstibaError) {
        try store.rememberCompressed(diffID: diffID, compression: options.compression, blob: blob)
        try store.rememberSource(blob.digest, host: client.host, repository: reference.repository)
    }

    /// Sends the config's exact bytes unless the repository has them or can mount them.
    func pushConfig(_ image: ImageRecord, cancellation: PullCancellation) async throws(EstibaError) {
        if try await blobExists(image.id, cancellation: cancellation) { return }
        switch try await mount(image.id, cancellation: cancellation) {
        case .mounted: break
        case .notMounted(let started):
            let bytes = image.configBytes
            try await upload(.bytes(bytes), digest: image.id, size: Int64(bytes.count), started: started, cancellation: cancellation, progress: { _ in })
        }
        try store.rememberSource(image.id, host: client.host, repository: reference.repository)
    }
}

/// Passes on byte counts at most every 512 KiB (and the last).
final class ProgressThrottle: Sendable {
    private let state = Mutex<Int64>(-1)
    private let forward: @Sendable (Int64) -> Void

    init(_ forward: @escaping @Sendable (Int64) -> Void) { self.forward = forward }

    var report: @Sendable (Int64) -> Void {
        { [self] bytes in
            let due = state.withLock { last in
                guard bytes - last >= 1 << 19 else { return false }
                last = bytes
                return true
            }
            if due { forward(bytes) }
        }
    }
}
