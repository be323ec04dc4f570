import EstibaJSON
import System

/// The layered image store: an OCI image layout (`oci/`), extracted layers by chain ID (`snapshots/`), staging
/// (`tmp/`) and locks. One actor per process; processes sharing a root coordinate through file locks.
///
/// The actor guards the index (tags and image records) and its caches. Blocking work (writing, hashing and
/// extracting layers, import, save, load, verify, prune) runs outside it, on threads of its own (`runOnThread`), under
/// the content lease (`ContentLease`): one long import never holds up `images` or `inspect`.
public actor ImageStore {
    public nonisolated let layout: StoreLayout
    let content: ContentStore
    let snapshots: Snapshots
    let layerInfo: LayerInfo
    /// The roots above the store (containers, the build cache) that garbage collection keeps.
    public nonisolated let rootSource = CollectionRootSource()
    /// Parsed images by manifest digest: content-addressed, so valid forever (references are filled per call).
    private var recordCache: [Digest: ImageRecord] = [:]
    /// index.json as last read, with the file identity it was read at.
    private var indexCache: (key: [Int], index: ImageIndex)?
    /// The last `images()` answer, valid while index.json is unchanged.
    private var listingCache: (key: [Int], images: [ImageRecord])?
    /// Whether one of this process's index changes is under way, and the changes waiting for their turn.
    private var changingIndex = false
    private var waitingChanges: [CheckedContinuation<Void, Never>] = []

    /// Opens (creating if needed) the store at `root`.
    public init(root: String) throws(EstibaError) {
        layout = StoreLayout(root: root)
        try layout.create()
        content = ContentStore(layout: layout)
        snapshots = Snapshots(layout: layout, content: content)
        layerInfo = LayerInfo(layout: layout)
        StoreRecovery.run(layout)
    }

    // MARK: listing images

    /// Stores a config whose layers are already blobs, writes its manifest and tags it. Snapshots are made when
    /// the image is first used (`lowerDirectories`).
    public func add(config: ImageConfig, layers: [(digest: Digest, size: Int64)], reference: ImageReference?)
        async throws(EstibaError) -> ImageRecord
    {
        try await add(configBytes: config.encoded(), layers: layers, references: reference.map { [$0] } ?? [])
    }

    /// The same with the config's exact bytes (loaded images keep their IDs).
    public func add(configBytes: [UInt8], layers: [(digest: Digest, size: Int64)], references: [ImageReference])
        async throws(EstibaError) -> ImageRecord
    {
        await beginIndexChange()
        defer { endIndexChange() }
        return try await addInTurn(configBytes: configBytes, layers: layers, references: references)
    }

    /// `add`, during this process's turn to change the index.
    func addInTurn(configBytes: [UInt8], layers: [(digest: Digest, size: Int64)], references: [ImageReference])
        async throws(EstibaError) -> ImageRecord
    {
        let content = self.content
        let lease = StoreLease.current
        // Checked and written under the index lock: a collection (which holds it while it sweeps) cannot remove a
        // blob between the check and the new entry.
        let manifestDigest = try await updateIndex(writing: "an image") { index throws(EstibaError) -> Digest in
            let config = try ImageConfig(bytes: configBytes)
            guard config.diffIDs.count == layers.count else {
                throw EstibaError(.badInput, "The image config lists \(config.diffIDs.count) layers but \(layers.count) were given.")
            }
            for l in layers where !content.exists(l.digest) {
                throw EstibaError(.notFound, "Layer \(l.digest) is not in the store.", context: ["digest": l.digest.description])
            }
            let configBlob = try content.put(configBytes)
            try lease?.hold([.blob(configBlob.digest)] + Self.objects(layers: layers.map(\.digest), diffIDs: config.diffIDs))
            let manifest = Manifest(
                config: Descriptor(mediaType: MediaType.imageConfig, digest: configBlob.digest, size: configBlob.size),
                layers: layers.map { Descriptor(mediaType: MediaType.layer, digest: $0.digest, size: $0.size) })
            let manifestBlob = try content.put(manifest.json.encoded())
            try lease?.hold([.blob(manifestBlob.digest)])
            let descriptor = Descriptor(
                mediaType: MediaType.imageManifest, digest: manifestBlob.digest, size: manifestBlob.size,
                platform: Platform(architecture: config.architecture, os: config.os, variant: config.variant))
            for r in references { Self.removeReference(r, from: &index) }
            // A manifest without a tag stays listed (dangling) so it is not garbage.
            index.manifests.removeAll { $0.digest == manifestBlob.digest && $0.annotation(Annotation.refName) == nil }
            if references.isEmpty, !index.manifests.contains(where: { $0.digest == manifestBlob.digest }) {
                index.manifests.append(descriptor)
            }
            for r in references {
                var d = descriptor
                d.annotations = [(Annotation.refName, r.description)]
                index.manifests.append(d)
            }
            return manifestBlob.digest
        }
        return try record(manifestDigest: manifestDigest)
    }

    /// An image by manifest digest, listed or not (nil when its manifest or config blob is gone).
    public func image(manifest: Digest) -> ImageRecord? {
        guard content.exists(manifest) else { return nil }
        return try? record(manifestDigest: manifest, index: ImageIndex(manifests: []))
    }

    /// An image by ID (config digest), listed or not, when its config and layers are in the store.
    public func image(id: Digest) -> ImageRecord? {
        guard let bytes = try? content.read(id), let config = try? ImageConfig(bytes: bytes),
            let m = storedManifest(config: id, bytes: Int64(bytes.count), diffIDs: config.diffIDs)
        else { return nil }
        return try? record(manifestDigest: m, index: ImageIndex(manifests: []))
    }

    /// Whether the image with this ID (config digest) is in the store.
    public nonisolated func hasImage(id: Digest) -> Bool { content.exists(id) }

    /// Lists `record` in index.json under `references` (or untagged when empty), like `add`.
    public func list(_ record: ImageRecord, references: [ImageReference]) async throws(EstibaError) -> ImageRecord {
        await beginIndexChange()
        defer { endIndexChange() }
        // Nothing to write when every tag already names this image (an unchanged rebuild).
        let index = try readIndex()
        let listed = index.manifests.filter { $0.digest == record.manifestDigest }
        let named = Set(listed.compactMap { $0.annotation(Annotation.refName) })
        if !listed.isEmpty, references.allSatisfy({ named.contains($0.description) }) {
            return try self.record(manifestDigest: record.manifestDigest, index: index)
        }
        return try await addInTurn(
            configBytes: record.configBytes, layers: record.manifest.layers.map { ($0.digest, $0.size) }, references: references)
    }

    // MARK: reading

    /// Changes whenever the set of images or tags changes (the identity of index.json); equal generations mean
    /// equal `images()` answers.
    public func generation() throws(EstibaError) -> [Int] {
        _ = try readIndex()
        return (indexCache?.key ?? []) + repoDigestsKey()
    }

    /// Every image, newest first.
    public func images() throws(EstibaError) -> [ImageRecord] {
        let index = try readIndex()
        if let cached = listingCache, let current = indexCache, cached.key == current.key { return withRepoDigests(cached.images) }
        var order: [Digest] = []
        var refs: [Digest: [ImageReference]] = [:]
        for m in index.manifests {
            if refs[m.digest] == nil {
                order.append(m.digest)
                refs[m.digest] = []
            }
            if let name = m.annotation(Annotation.refName), let r = try? ImageReference(parsing: name) { refs[m.digest, default: []].append(r) }
        }
        var out: [ImageRecord] = []
        out.reserveCapacity(order.count)
        for d in order {
            var r: ImageRecord
            if let cached = recordCache[d] {
                r = cached
            } else {
                r = try parseRecord(d)
                recordCache[d] = r
            }
            r.references = (refs[d] ?? []).sorted { $0.description < $1.description }
            out.append(r)
        }
        out.sort { ($0.config.created ?? Timestamp(seconds: 0)) > ($1.config.created ?? Timestamp(seconds: 0)) }
        if let current = indexCache { listingCache = (current.key, out) }
        return withRepoDigests(out)
    }

    /// Finds an image by `name[:tag]`, full ID (`sha256:…`) or a unique ID prefix.
    public func image(_ spec: String) throws(EstibaError) -> ImageRecord {
        let index = try readIndex()
        return try record(manifestDigest: try resolve(spec, in: index), index: index)
    }

    /// By reference, or by full or unique partial ID; an empty spec is refused (as a prefix it would match every ID).
    func resolve(_ spec: String, in index: ImageIndex) throws(EstibaError) -> Digest {
        guard !spec.isEmpty, !spec.allSatisfy(\.isWhitespace) else {
            throw EstibaError(.invalidArgument, "An image reference cannot be empty; give an image name or ID (see `estiba images`).", context: ["image": spec])
        }
        if let ref = try? ImageReference(parsing: spec),
            let m = index.manifests.first(where: { $0.annotation(Annotation.refName) == ref.description })
        {
            return m.digest
        }
        if RepoDigest.isDigestReference(spec) { return try resolve(digestReference: spec, in: index) }
        var hex = spec.lowercased()
        if hex.hasPrefix("sha256:") { hex.removeFirst(7) }
        if !hex.isEmpty, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            var matches: Set<Digest> = []
            for m in index.manifests {
                if let r = try? record(manifestDigest: m.digest, index: index), r.id.hex.hasPrefix(hex) { matches.insert(m.digest) }
            }
            if matches.count == 1, let only = matches.first { return only }
            if matches.count > 1 {
                throw EstibaError(.conflict, "\"\(spec)\" matches \(matches.count) images; give more of the ID.", context: ["image": spec])
            }
        }
        throw EstibaError(.notFound, "No such image: \(spec). Run `estiba images` to list images, or import or build it first.", context: ["image": spec])
    }

    nonisolated func manifest(_ d: Digest) throws(EstibaError) -> Manifest {
        try Manifest(bytes: try content.read(d), document: "manifest \(d.short)")
    }

    func record(manifestDigest: Digest, index: ImageIndex? = nil) throws(EstibaError) -> ImageRecord {
        let idx: ImageIndex
        if let index { idx = index } else { idx = try readIndex() }
        let refs = idx.manifests.filter { $0.digest == manifestDigest }.compactMap { $0.annotation(Annotation.refName) }
            .compactMap { try? ImageReference(parsing: $0) }.sorted { $0.description < $1.description }
        if var cached = recordCache[manifestDigest] {
            cached.references = refs
            cached.repoDigests = idx.manifests.isEmpty ? [] : repoDigests().byImage[cached.id] ?? []
            return cached
        }
        var fresh = try parseRecord(manifestDigest)
        recordCache[manifestDigest] = fresh
        fresh.references = refs
        fresh.repoDigests = idx.manifests.isEmpty ? [] : repoDigests().byImage[fresh.id] ?? []
        return fresh
    }

    /// The parsed image of a manifest, when it is cached (without references).
    func cachedRecord(_ manifestDigest: Digest) -> ImageRecord? { recordCache[manifestDigest] }

    /// Reads and parses an image's manifest and config (without references).
    nonisolated func parseRecord(_ manifestDigest: Digest) throws(EstibaError) -> ImageRecord {
        let m = try manifest(manifestDigest)
        let configBytes = try content.read(m.config.digest)
        let config = try ImageConfig(bytes: configBytes, document: "image config \(m.config.digest.short)")
        let chain = Snapshots.chainIDs(config.diffIDs)
        let sizes = config.diffIDs.enumerated().map { i, d in
            layerInfo.contentSize(d) ?? snapshots.contentSize(chain[i]) ?? (i < m.layers.count ? m.layers[i].size : 0)
        }
        return ImageRecord(
            id: m.config.digest, manifestDigest: manifestDigest, manifest: m, config: config, configBytes: configBytes,
            references: [], size: sizes.reduce(0, +), chainIDs: chain,
            layerSizes: sizes)
    }

    // MARK: tags and removal

    /// Points `reference` at the image `spec` (moving it if it pointed elsewhere).
    @discardableResult
    public func tag(_ spec: String, as reference: ImageReference) async throws(EstibaError) -> ImageRecord {
        await beginIndexChange()
        defer { endIndexChange() }
        let index = try readIndex()
        let target = try resolve(spec, in: index)
        guard let base = index.manifests.first(where: { $0.digest == target }) else {
            throw EstibaError(.notFound, "No such image: \(spec).", context: ["image": spec])
        }
        try await updateIndex { index in
            Self.removeReference(reference, from: &index)
            var d = base
            d.annotations = [(Annotation.refName, reference.description)]
            index.manifests.append(d)
            // The image is tagged now: drop its untagged placeholder.
            index.manifests.removeAll { $0.digest == target && $0.annotation(Annotation.refName) == nil }
        }
        return try record(manifestDigest: target)
    }

    /// Removes a tag, or the image when it was its only tag or `spec` is an ID (like `docker rmi`).
    /// `inUse` maps image IDs to the containers using them; such images are kept unless `force`.
    public func remove(_ spec: String, force: Bool, inUse: [Digest: [String]] = [:]) async throws(EstibaError) -> [RemovalEvent] {
        await beginIndexChange()
        defer { endIndexChange() }
        let index = try readIndex()
        let target = try resolve(spec, in: index)
        let r = try record(manifestDigest: target, index: index)
        if let untagged = try await removeNames(spec, of: r) { return untagged }
        let byReference = (try? ImageReference(parsing: spec)).flatMap { ref in r.references.first { $0 == ref } }
        if let ref = byReference, r.references.count > 1 {
            try await updateIndex { Self.removeReference(ref, from: &$0) }
            return [.untagged(ref)] + (try await dropRepoDigests(of: r, untagging: ref))
        }
        if byReference == nil, r.references.count > 1, !force {
            throw EstibaError(
                .conflict,
                "Image \(r.id.short) is tagged \(r.references.map(\.description).joined(separator: ", ")); remove the tags one by one, or force.",
                context: ["image": spec])
        }
        if let users = inUse[r.id], !users.isEmpty, !force {
            throw EstibaError(
                .conflict,
                "Image \(spec) (\(r.id.short)) is used by container \(users.joined(separator: ", ")); remove the container first, or force.",
                context: ["image": spec, "containers": users.joined(separator: ",")])
        }
        try await removeImageEntries(target, id: r.id)
        return r.references.map { .untagged($0) } + r.repoDigests.map { .untaggedDigest($0) } + [.deleted(r.id)]
    }

    static func removeReference(_ reference: ImageReference, from index: inout ImageIndex) {
        guard let i = index.manifests.firstIndex(where: { $0.annotation(Annotation.refName) == reference.description }) else { return }
        let old = index.manifests.remove(at: i)
        // Keep the image it pointed to (now dangling) unless another entry still lists it.
        if !index.manifests.contains(where: { $0.digest == old.digest }) {
            var d = old
            d.annotations = []
            index.manifests.append(d)
        }
    }

    // MARK: index.json

    /// index.json, re-read only when the file changed (other processes replace it atomically, so a new inode
    /// or mtime means new content).
    func readIndex() throws(EstibaError) -> ImageIndex {
        let key = (try? Files.status(layout.indexFile)).map { st in
            [st.inode, UInt64(bitPattern: st.modified.seconds), UInt64(bitPattern: st.modified.nanoseconds), UInt64(bitPattern: st.size)]
                .map { Int(truncatingIfNeeded: $0) }
        } ?? []
        if let cached = indexCache, !key.isEmpty, cached.key == key { return cached.index }
        let index = try Self.loadIndex(layout)
        indexCache = key.isEmpty ? nil : (key, index)
        return index
    }

    /// index.json as it is on disk now.
    static func loadIndex(_ layout: StoreLayout) throws(EstibaError) -> ImageIndex {
        try ImageIndex(bytes: try StoreFile.read(layout.indexFile))
    }

    /// Read-modify-write of index.json under the store's file lock (other processes wait), on a store thread.
    /// `change` sees index.json as it is under the lock; what it returns is the answer.
    /// `writing` names what the change writes in a failure (a full disk).
    nonisolated func updateIndex<T: Sendable>(
        writing what: String = "the image index", _ change: @escaping @Sendable (inout ImageIndex) throws(EstibaError) -> T
    ) async throws(EstibaError) -> T {
        let layout = self.layout
        return try await runOnThread { () throws(EstibaError) -> T in
            do throws(EstibaError) {
                let lock = try layout.lockIndex()
                defer { lock.close() }
                var index = try Self.loadIndex(layout)
                let answer = try change(&index)
                try layout.write(index.json.encoded(), to: layout.indexFile)
                return answer
            } catch {
                throw EstibaError.storeWrite(what, to: layout.root, error)
            }
        }
    }

    /// Waits until no other index change of this process is under way. Each change (`add`, `list`, `tag`,
    /// `remove`) reads, checks and writes the index with no other in between, as one step; reads go on meanwhile.
    func beginIndexChange() async {
        while changingIndex { await withCheckedContinuation { waitingChanges.append($0) } }
        changingIndex = true
    }

    func endIndexChange() {
        changingIndex = false
        if !waitingChanges.isEmpty { waitingChanges.removeFirst().resume() }
    }
}

/// The machine's platform in Go's naming (what image configs record).
public enum HostPlatform {
    public static var architecture: String {
        let machine = Machine.hardwareName
        switch machine {
        case "x86_64": return "amd64"
        case "aarch64", "arm64": return "arm64"
        case "i386", "i686": return "386"
        case "ppc64le": return "ppc64le"
        case "s390x": return "s390x"
        case "riscv64": return "riscv64"
        default: return machine.hasPrefix("arm") ? "arm" : machine
        }
    }
}
