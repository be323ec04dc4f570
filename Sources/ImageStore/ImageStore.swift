import EstibaJSON
import Glibc

/// The layered image store: an OCI image layout (`oci/`), extracted layers by chain ID (`snapshots/`), staging
/// (`tmp/`) and locks. One actor per process; processes sharing a root coordinate through file locks.
public actor ImageStore {
    public nonisolated let layout: StoreLayout
    let content: ContentStore
    let snapshots: Snapshots
    let layerInfo: LayerInfo
    /// Parsed images by manifest digest: content-addressed, so valid forever (references are filled per call).
    private var recordCache: [Digest: ImageRecord] = [:]
    /// index.json as last read, with the file identity it was read at.
    private var indexCache: (key: [Int], index: ImageIndex)?
    /// The last `images()` answer, valid while index.json is unchanged.
    private var listingCache: (key: [Int], images: [ImageRecord])?

    /// Opens (creating if needed) the store at `root`.
    public init(root: String) throws(StoreError) {
        layout = StoreLayout(root: root)
        try layout.create()
        content = ContentStore(layout: layout)
        snapshots = Snapshots(layout: layout, content: content)
        layerInfo = LayerInfo(layout: layout)
    }

    // MARK: adding images

    /// Makes a one-layer image from a root filesystem, tags it, and returns it.
    public func importImage(
        _ source: ImportSource, config: ContainerConfig, reference: ImageReference?, comment: String,
        architecture: String = HostPlatform.architecture, created: Timestamp = .now()
    ) throws(StoreError) -> ImageRecord {
        let layer: LayerTar
        switch source {
        case .directory(let dir):
            var st = stat()
            guard stat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
                throw StoreError(.notFound, "\(dir) is not a directory; give a root filesystem directory or a tar archive.", context: ["path": dir])
            }
            layer = try content.putLayer(from: dir)
        case .tarball(let file):
            guard FileSystem.exists(file) else {
                throw StoreError(.notFound, "\(file) does not exist; give a root filesystem tar archive or directory.", context: ["path": file])
            }
            let staging = try FileSystem.temporaryDirectory(in: layout.tmp)
            defer { try? FileSystem.removeTree(staging) }
            _ = try LayerExtractor.extract(archive: file, into: staging, options: ExtractOptions(whiteouts: .apply))
            layer = try content.putLayer(from: staging)
        }
        try layerInfo.record(layer.diffID, contentSize: layer.contentSize)
        var image = ImageConfig(architecture: architecture, created: created)
        image.config = config
        image.diffIDs = [layer.diffID]
        image.history = [HistoryEntry(created: created, createdBy: nil, comment: comment)]
        return try add(config: image, layers: [(layer.diffID, layer.size)], reference: reference)
    }

    /// Writes the layer of a directory (an overlay upper directory when `overlayUpper`) into the store.
    public func addLayer(from directory: String, overlayUpper: Bool) throws(StoreError) -> LayerTar {
        let layer = try content.putLayer(from: directory, overlayUpper: overlayUpper)
        try layerInfo.record(layer.diffID, contentSize: layer.contentSize)
        return layer
    }

    /// Stores a config whose layers are already blobs, writes its manifest and tags it. Snapshots are made when
    /// the image is first used (`lowerDirectories`).
    public func add(config: ImageConfig, layers: [(digest: Digest, size: Int64)], reference: ImageReference?)
        throws(StoreError) -> ImageRecord
    {
        try add(configBytes: config.encoded(), layers: layers, references: reference.map { [$0] } ?? [])
    }

    /// The same with the config's exact bytes (loaded images keep their IDs).
    public func add(configBytes: [UInt8], layers: [(digest: Digest, size: Int64)], references: [ImageReference])
        throws(StoreError) -> ImageRecord
    {
        let config = try ImageConfig(bytes: configBytes)
        guard config.diffIDs.count == layers.count else {
            throw StoreError(.corrupt, "The image config lists \(config.diffIDs.count) layers but \(layers.count) were given.")
        }
        for l in layers where !content.exists(l.digest) {
            throw StoreError(.notFound, "Layer \(l.digest) is not in the store.", context: ["digest": l.digest.description])
        }
        let configBlob = try content.put(configBytes)
        let manifest = Manifest(
            config: Descriptor(mediaType: MediaType.imageConfig, digest: configBlob.digest, size: configBlob.size),
            layers: layers.map { Descriptor(mediaType: MediaType.layer, digest: $0.digest, size: $0.size) })
        let manifestBlob = try content.put(manifest.json.encoded())
        let descriptor = Descriptor(
            mediaType: MediaType.imageManifest, digest: manifestBlob.digest, size: manifestBlob.size,
            platform: Platform(architecture: config.architecture, os: config.os, variant: config.variant))
        try updateIndex { index in
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
        }
        return try record(manifestDigest: manifestBlob.digest)
    }

    /// Stores an image's config and manifest as blobs without listing it in index.json (a build step's
    /// intermediate image: found by its manifest digest, kept by `prune` while the caller names it in `keep`).
    public func addIntermediate(config: ImageConfig, layers: [(digest: Digest, size: Int64)]) throws(StoreError) -> ImageRecord {
        guard config.diffIDs.count == layers.count else {
            throw StoreError(.corrupt, "The image config lists \(config.diffIDs.count) layers but \(layers.count) were given.")
        }
        let configBytes = config.encoded()
        let configBlob = try content.put(configBytes)
        let manifest = Manifest(
            config: Descriptor(mediaType: MediaType.imageConfig, digest: configBlob.digest, size: configBlob.size),
            layers: layers.map { Descriptor(mediaType: MediaType.layer, digest: $0.digest, size: $0.size) })
        let manifestBlob = try content.put(manifest.json.encoded())
        // Built from what was just written, and not cached: a long build makes one such image per step, each
        // config holding all the history before it, so caching them all would take memory quadratic in the steps.
        if let cached = recordCache[manifestBlob.digest] { return cached }
        let chain = Snapshots.chainIDs(config.diffIDs)
        let sizes = config.diffIDs.enumerated().map { i, d in layerInfo.contentSize(d) ?? snapshots.contentSize(chain[i]) ?? layers[i].size }
        return ImageRecord(
            id: configBlob.digest, manifestDigest: manifestBlob.digest, manifest: manifest, config: config, configBytes: configBytes,
            references: [], size: sizes.reduce(0, +), chainIDs: chain, layerSizes: sizes)
    }

    /// An image by manifest digest, listed or not (nil when its manifest or config blob is gone).
    public func image(manifest: Digest) -> ImageRecord? {
        guard content.exists(manifest) else { return nil }
        return try? record(manifestDigest: manifest, index: ImageIndex(manifests: []))
    }

    /// Lists `record` in index.json under `references` (or untagged when empty), like `add`.
    public func list(_ record: ImageRecord, references: [ImageReference]) throws(StoreError) -> ImageRecord {
        // Nothing to write when every tag already names this image (an unchanged rebuild).
        let index = try readIndex()
        let listed = index.manifests.filter { $0.digest == record.manifestDigest }
        let named = Set(listed.compactMap { $0.annotation(Annotation.refName) })
        if !listed.isEmpty, references.allSatisfy({ named.contains($0.description) }) {
            return try self.record(manifestDigest: record.manifestDigest, index: index)
        }
        return try add(configBytes: record.configBytes, layers: record.manifest.layers.map { ($0.digest, $0.size) }, references: references)
    }

    /// The snapshot directories of an image record, top layer first (made on first use).
    public func lowerDirectories(of r: ImageRecord) throws(StoreError) -> [String] {
        try makeSnapshots(config: r.config, manifest: r.manifest)
        return r.chainIDs.reversed().map { layout.snapshotTree($0) }
    }

    func makeSnapshots(config: ImageConfig, manifest: Manifest) throws(StoreError) {
        guard config.diffIDs.count == manifest.layers.count else {
            throw StoreError(.corrupt, "The image has \(manifest.layers.count) layers but \(config.diffIDs.count) diff IDs.")
        }
        let chain = Snapshots.chainIDs(config.diffIDs)
        for (i, layer) in manifest.layers.enumerated() {
            try snapshots.ensure(chainID: chain[i], layer: layer.digest, diffID: config.diffIDs[i], parent: i > 0 ? chain[i - 1] : nil)
        }
    }

    // MARK: reading

    /// Changes whenever the set of images or tags changes (the identity of index.json); equal generations mean
    /// equal `images()` answers.
    public func generation() throws(StoreError) -> [Int] {
        _ = try readIndex()
        return indexCache?.key ?? []
    }

    /// Every image, newest first.
    public func images() throws(StoreError) -> [ImageRecord] {
        let index = try readIndex()
        if let cached = listingCache, let current = indexCache, cached.key == current.key { return cached.images }
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
        return out
    }

    /// Finds an image by `name[:tag]`, full ID (`sha256:…`) or a unique ID prefix.
    public func image(_ spec: String) throws(StoreError) -> ImageRecord {
        let index = try readIndex()
        return try record(manifestDigest: try resolve(spec, in: index), index: index)
    }

    /// By reference, or by full or unique partial ID; an empty spec is refused (as a prefix it would match every ID).
    func resolve(_ spec: String, in index: ImageIndex) throws(StoreError) -> Digest {
        guard !spec.isEmpty, !spec.allSatisfy(\.isWhitespace) else {
            throw StoreError(.invalidArgument, "An image reference cannot be empty; give an image name or ID (see `estiba images`).", context: ["image": spec])
        }
        if let ref = try? ImageReference(parsing: spec),
            let m = index.manifests.first(where: { $0.annotation(Annotation.refName) == ref.description })
        {
            return m.digest
        }
        var hex = spec.lowercased()
        if hex.hasPrefix("sha256:") { hex.removeFirst(7) }
        if !hex.isEmpty, hex.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }) {
            var matches: Set<Digest> = []
            for m in index.manifests {
                if let r = try? record(manifestDigest: m.digest, index: index), r.id.hex.hasPrefix(hex) { matches.insert(m.digest) }
            }
            if matches.count == 1, let only = matches.first { return only }
            if matches.count > 1 {
                throw StoreError(.conflict, "\"\(spec)\" matches \(matches.count) images; give more of the ID.", context: ["image": spec])
            }
        }
        throw StoreError(.notFound, "No such image: \(spec). Run `estiba images` to list images, or import or build it first.", context: ["image": spec])
    }

    func manifest(_ d: Digest) throws(StoreError) -> Manifest {
        try Manifest(bytes: try content.read(d), document: "manifest \(d.short)")
    }

    func record(manifestDigest: Digest, index: ImageIndex? = nil) throws(StoreError) -> ImageRecord {
        let idx: ImageIndex
        if let index { idx = index } else { idx = try readIndex() }
        let refs = idx.manifests.filter { $0.digest == manifestDigest }.compactMap { $0.annotation(Annotation.refName) }
            .compactMap { try? ImageReference(parsing: $0) }.sorted { $0.description < $1.description }
        if var cached = recordCache[manifestDigest] {
            cached.references = refs
            return cached
        }
        var fresh = try parseRecord(manifestDigest)
        recordCache[manifestDigest] = fresh
        fresh.references = refs
        return fresh
    }

    /// Reads and parses an image's manifest and config (without references).
    func parseRecord(_ manifestDigest: Digest) throws(StoreError) -> ImageRecord {
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

    /// The snapshot directories of an image, top layer first (overlay `lowerdir` order).
    public func lowerDirectories(_ spec: String) throws(StoreError) -> [String] {
        let r = try image(spec)
        try makeSnapshots(config: r.config, manifest: r.manifest)
        return r.chainIDs.reversed().map { layout.snapshotTree($0) }
    }

    // MARK: tags and removal

    /// Points `reference` at the image `spec` (moving it if it pointed elsewhere).
    @discardableResult
    public func tag(_ spec: String, as reference: ImageReference) throws(StoreError) -> ImageRecord {
        let index = try readIndex()
        let target = try resolve(spec, in: index)
        guard let base = index.manifests.first(where: { $0.digest == target }) else {
            throw StoreError(.notFound, "No such image: \(spec).", context: ["image": spec])
        }
        try updateIndex { index in
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
    public func remove(_ spec: String, force: Bool, inUse: [Digest: [String]] = [:]) throws(StoreError) -> [RemovalEvent] {
        let index = try readIndex()
        let target = try resolve(spec, in: index)
        let r = try record(manifestDigest: target, index: index)
        let byReference = (try? ImageReference(parsing: spec)).flatMap { ref in r.references.first { $0 == ref } }
        if let ref = byReference, r.references.count > 1 {
            try updateIndex { Self.removeReference(ref, from: &$0) }
            return [.untagged(ref)]
        }
        if byReference == nil, r.references.count > 1, !force {
            throw StoreError(
                .conflict,
                "Image \(r.id.short) is tagged \(r.references.map(\.description).joined(separator: ", ")); remove the tags one by one, or force.",
                context: ["image": spec])
        }
        if let users = inUse[r.id], !users.isEmpty, !force {
            throw StoreError(
                .conflict,
                "Image \(spec) (\(r.id.short)) is used by container \(users.joined(separator: ", ")); remove the container first, or force.",
                context: ["image": spec, "containers": users.joined(separator: ",")])
        }
        try updateIndex { index in index.manifests.removeAll { $0.digest == target } }
        return r.references.map { .untagged($0) } + [.deleted(r.id)]
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

    // MARK: maintenance

    /// Re-hashes every blob, checks that every referenced blob exists and that every layer not extracted yet
    /// would extract safely.
    public func verify() -> VerifyReport {
        var problems: [String] = []
        let blobs = content.all()
        for d in blobs {
            if let actual = try? hashFile(layout.blob(d)), actual != d { problems.append("blob \(d) has digest \(actual)") }
        }
        let index: ImageIndex
        do { index = try readIndex() } catch {
            return VerifyReport(blobsChecked: blobs.count, problems: problems + ["index.json: \(error.message)"])
        }
        var checkedLayers: Set<Digest> = []
        for m in index.manifests {
            guard content.exists(m.digest) else {
                problems.append("manifest \(m.digest) is missing")
                continue
            }
            guard let man = try? manifest(m.digest) else {
                problems.append("manifest \(m.digest) is unreadable")
                continue
            }
            for d in [man.config.digest] + man.layers.map(\.digest) where !content.exists(d) {
                problems.append("blob \(d) (of manifest \(m.digest.short)) is missing")
            }
            if let bytes = try? content.read(man.config.digest), let config = try? ImageConfig(bytes: bytes),
                config.diffIDs.count != man.layers.count
            {
                problems.append("image \(man.config.digest.short) lists \(config.diffIDs.count) diff IDs for \(man.layers.count) layers")
            }
            // Layers not extracted yet must extract as a run would (an archive loaded by an older version may
            // hold entries that reach outside their layer).
            if let bytes = try? content.read(man.config.digest), let config = try? ImageConfig(bytes: bytes),
                config.diffIDs.count == man.layers.count
            {
                let chain = Snapshots.chainIDs(config.diffIDs)
                for (i, layer) in man.layers.enumerated()
                where !snapshots.exists(chain[i]) && content.exists(layer.digest) && !checkedLayers.contains(layer.digest) {
                    checkedLayers.insert(layer.digest)
                    if let why = snapshots.check(layer: layer.digest) {
                        problems.append("layer \(layer.digest.short) of image \(man.config.digest.short) cannot be used: \(why) Remove the image (rmi) and get it from a source you trust.")
                    }
                }
            }
        }
        return VerifyReport(blobsChecked: blobs.count, problems: problems)
    }

    /// Removes blobs and snapshots no image references (`keep`: chain IDs still used, e.g. by containers) and
    /// leftovers in `tmp/` (but not scratch directories a live process holds: see `ScratchDirectory`).
    public func prune(keep: Set<Digest> = [], keepManifests: Set<Digest> = []) throws(StoreError) -> PruneReport {
        let lock = try FileLock(path: layout.indexLock)
        defer { lock.unlock() }
        let index = try readIndex()
        var liveBlobs: Set<Digest> = []
        var liveSnapshots = keep
        for m in index.manifests.map(\.digest) + keepManifests.filter({ content.exists($0) }) {
            liveBlobs.insert(m)
            guard let man = try? manifest(m) else { continue }
            liveBlobs.insert(man.config.digest)
            for l in man.layers { liveBlobs.insert(l.digest) }
            if let bytes = try? content.read(man.config.digest), let config = try? ImageConfig(bytes: bytes) {
                liveSnapshots.formUnion(Snapshots.chainIDs(config.diffIDs))
            }
        }
        var report = PruneReport(blobs: 0, snapshots: 0, bytes: 0)
        for d in content.all() where !liveBlobs.contains(d) {
            report.bytes += content.size(d) ?? 0
            content.delete(d)
            unlink(layout.layerInfo(d))
            report.blobs += 1
        }
        for c in snapshots.all() where !liveSnapshots.contains(c) {
            try snapshots.remove(c)
            report.snapshots += 1
        }
        let tmpfd = open(layout.tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if tmpfd >= 0 {
            for name in RootedDirectory.listNames(tmpfd) where !ScratchDirectory.isHeld(tmpfd, name) {
                // What a killed build left mounted is detached first; nothing is ever removed through a mount.
                guard ScratchDirectory.unmountAll(under: layout.tmp + "/" + name) else { continue }
                try? RootedDirectory.removeTree(tmpfd, name)
            }
            close(tmpfd)
        }
        return report
    }

    // MARK: index.json

    /// index.json, re-read only when the file changed (other processes replace it atomically, so a new inode
    /// or mtime means new content).
    func readIndex() throws(StoreError) -> ImageIndex {
        var st = stat()
        let key = stat(layout.indexFile, &st) == 0
            ? [Int(st.st_ino), st.st_mtim.tv_sec, st.st_mtim.tv_nsec, Int(st.st_size)] : []
        if let cached = indexCache, !key.isEmpty, cached.key == key { return cached.index }
        let index = try ImageIndex(bytes: try FileSystem.read(layout.indexFile))
        indexCache = key.isEmpty ? nil : (key, index)
        return index
    }

    /// Read-modify-write of index.json under the store's file lock (other processes wait).
    func updateIndex(_ change: (inout ImageIndex) throws(StoreError) -> Void) throws(StoreError) {
        let lock = try FileLock(path: layout.indexLock)
        defer { lock.unlock() }
        var index = try readIndex()
        try change(&index)
        try FileSystem.atomicWrite(index.json.encoded(), to: layout.indexFile, tmpDir: layout.tmp)
    }

    func hashFile(_ path: String) throws(StoreError) -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError.io("Cannot open", path, errno: errno) }
        defer { close(fd) }
        let h = SHA256()
        try FileSystem.forEachChunk(fd, path: path) { h.update($0) }
        return h.finalize()
    }
}

/// The machine's platform in Go's naming (what image configs record).
public enum HostPlatform {
    public static var architecture: String {
        var u = utsname()
        uname(&u)
        let machine = withUnsafeBytes(of: u.machine) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
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
