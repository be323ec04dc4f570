import CArchive
import EstibaJSON
import System

/// Archive formats for `save` and `load`.
public enum ArchiveFormat: String, Sendable, CaseIterable {
    /// A tar that `docker load` (and podman, skopeo) read: an OCI layout plus `manifest.json`, as Docker ≥ 25 writes.
    case dockerArchive = "docker-archive"
    /// A tar of an OCI image layout.
    case ociArchive = "oci-archive"
    /// An OCI image layout directory.
    case ociDirectory = "oci-dir"
}

/// An image `load` added.
public struct LoadedImage: Sendable {
    public var image: ImageRecord
    public var references: [ImageReference]
}

/// Saving and loading run on store threads under the content lease; the actor is entered only to find the images
/// to save and to list the images loaded.
extension ImageStore {
    /// Writes images (with the tags named) to `path`.
    public nonisolated func save(_ specs: [String], to path: String, format: ArchiveFormat) async throws(EstibaError) -> [ImageRecord] {
        guard !specs.isEmpty else { throw EstibaError(.invalidArgument, "Name at least one image to save.") }
        let lease = try await ContentLease.shared(layout)
        defer { lease.release() }
        let chosen = try await choose(specs)
        try await runOnThread { () throws(EstibaError) in try self.write(chosen, to: path, format: format) }
        return chosen.map(\.0)
    }

    /// The images `specs` name, each once, with the tags that named it.
    func choose(_ specs: [String]) throws(EstibaError) -> [(ImageRecord, [ImageReference])] {
        let index = try readIndex()
        var chosen: [(ImageRecord, [ImageReference])] = []
        for spec in specs {
            let r = try record(manifestDigest: try resolve(spec, in: index), index: index)
            let ref = (try? ImageReference(parsing: spec)).flatMap { ref in r.references.contains(ref) ? ref : nil }
            if let i = chosen.firstIndex(where: { $0.0.id == r.id }) {
                if let ref, !chosen[i].1.contains(ref) { chosen[i].1.append(ref) }
            } else {
                chosen.append((r, ref.map { [$0] } ?? []))
            }
        }
        return chosen
    }

    /// Writes the archive or layout of `chosen` (blocking: call it on a store thread).
    nonisolated func write(_ chosen: [(ImageRecord, [ImageReference])], to path: String, format: ArchiveFormat) throws(EstibaError) {
        var outIndex = ImageIndex()
        var blobs: [Digest] = []
        for (r, refs) in chosen {
            for d in [r.manifestDigest, r.id] + r.manifest.layers.map(\.digest) where !blobs.contains(d) { blobs.append(d) }
            let base = Descriptor(mediaType: MediaType.imageManifest, digest: r.manifestDigest, size: content.size(r.manifestDigest) ?? 0)
            if refs.isEmpty { outIndex.manifests.append(base) }
            for ref in refs {
                var d = base
                d.annotations = [("io.containerd.image.name", Self.fullName(ref)), (Annotation.refName, ref.description)]
                outIndex.manifests.append(d)
            }
        }
        let layoutDoc = Array(#"{"imageLayoutVersion":"1.0.0"}"#.utf8)
        switch format {
        case .ociDirectory:
            let blobDir = path + "/blobs/sha256"
            for d in [path, path + "/blobs", blobDir] { try StoreLayout.makeDirectory(d, permissions: 0o755) }
            for d in blobs where !Files.exists(blobDir + "/" + d.hex) { try Self.copy(layout.blob(d), to: blobDir + "/" + d.hex) }
            try AtomicFile.write(layoutDoc, to: path + "/oci-layout")
            try AtomicFile.write(outIndex.json.encoded(), to: path + "/index.json")
        case .ociArchive, .dockerArchive:
            let tar = try TarArchiveWriter(path: path)
            try tar.add("oci-layout", bytes: layoutDoc)
            for d in blobs { try tar.add("blobs/sha256/" + d.hex, file: layout.blob(d)) }
            try tar.add("index.json", bytes: outIndex.json.encoded())
            if format == .dockerArchive {
                let manifest: [JSONValue] = chosen.map { r, refs in
                    [
                        "Config": .string("blobs/sha256/" + r.id.hex),
                        "RepoTags": refs.isEmpty ? .null : JSONValue(refs.map(\.description)),
                        "Layers": JSONValue(r.manifest.layers.map { "blobs/sha256/" + $0.digest.hex }),
                    ]
                }
                try tar.add("manifest.json", bytes: JSONValue.array(manifest).encoded())
            }
            try tar.finish()
        }
    }

    /// Copies the file `from` to `to` (in the kernel where it can).
    static func copy(_ from: String, to: String) throws(EstibaError) {
        let source = try FileDescriptor.open(from)
        let target = try FileDescriptor.open(to, [.writeOnly, .create, .truncate], permissions: 0o644)
        try source.copyData(to: target, count: try source.status().size)
    }

    static func fullName(_ r: ImageReference) -> String {
        let first = r.name.split(separator: "/").first.map(String.init) ?? ""
        let hasHost = r.name.contains("/") && (first.contains(".") || first.contains(":") || first == "localhost")
        if hasHost { return r.description }
        return "docker.io/" + (r.name.contains("/") ? "" : "library/") + r.description
    }

    /// Adds the images of a docker-archive (current or legacy), an OCI archive or an OCI layout directory.
    public nonisolated func load(from path: String) async throws(EstibaError) -> [LoadedImage] {
        let hold = try await ContentLease.shared(layout)
        defer { hold.release() }
        let lease = StoreLease.current
        let pending = try await runOnThread { () throws(EstibaError) -> [PendingImage] in
            do throws(EstibaError) {
                let pending = try self.stage(path)
                try lease?.hold(pending.flatMap { Self.objects(layers: $0.layers.map(\.digest), diffIDs: $0.config.diffIDs) })
                return pending
            } catch {
                throw EstibaError.storeWrite("the images of \(path)", to: self.layout.root, error)
            }
        }
        // Still under the content lock: no collection can take the new layers away before the images name them.
        return try await list(pending)
    }

    /// Lists loaded images, with no other index change of this process in between.
    func list(_ pending: [PendingImage]) async throws(EstibaError) -> [LoadedImage] {
        await beginIndexChange()
        defer { endIndexChange() }
        var loaded: [LoadedImage] = []
        for image in pending {
            let record = try await addInTurn(configBytes: image.configBytes, layers: image.layers, references: image.references)
            loaded.append(LoadedImage(image: record, references: image.references))
        }
        return loaded
    }

    /// Stores the layers and snapshots of the images at `path`; returns the images, not listed yet (blocking:
    /// call it on a store thread).
    nonisolated func stage(_ path: String) throws(EstibaError) -> [PendingImage] {
        guard let status = try? Files.status(path) else { throw EstibaError(.notFound, "\(path) does not exist.", context: ["path": path]) }
        if status.kind == .directory {
            guard Files.exists(path + "/oci-layout") else {
                throw EstibaError(.invalidArgument, "\(path) is a directory without oci-layout; give an OCI layout or an image archive.", context: ["path": path])
            }
            return try loadChecked(path) { added throws(EstibaError) in try loadOCI(Staging(root: path, owned: false), added: &added) }
        }
        let staging = try layout.stagingDirectory()
        defer { try? Files.removeTree(staging) }
        _ = try LayerExtractor.extract(
            archive: path, into: staging, options: ExtractOptions(whiteouts: .apply, allowDevices: false, preserveOwnership: false))
        let s = Staging(root: staging, owned: true)
        if Files.exists(staging + "/manifest.json") {
            return try loadChecked(path) { added throws(EstibaError) in try loadDockerArchive(s, added: &added) }
        }
        if Files.exists(staging + "/oci-layout") {
            return try loadChecked(path) { added throws(EstibaError) in try loadOCI(s, added: &added) }
        }
        throw EstibaError(.invalidArgument, "\(path) is neither a docker-archive (no manifest.json) nor an OCI archive (no oci-layout).", context: ["path": path])
    }

    /// An image of an archive whose layers are in the store but which is not listed yet.
    struct PendingImage: Sendable {
        var configBytes: [UInt8]
        var config: ImageConfig
        var layers: [(digest: Digest, size: Int64)]
        var references: [ImageReference]
    }

    /// Blobs and snapshots a load made, removed again when it fails.
    struct LoadAdditions {
        var blobs: [Digest] = []
        var snapshots: [Digest] = []
    }

    /// Stores the layers `read` finds and extracts every layer of every image (refusing any entry that would reach
    /// outside its layer, as a run would), so the images can be listed. On any error nothing stays behind.
    nonisolated func loadChecked(
        _ path: String, _ read: (inout LoadAdditions) throws(EstibaError) -> [PendingImage]
    ) throws(EstibaError) -> [PendingImage] {
        var added = LoadAdditions()
        let pending: [PendingImage]
        do throws(EstibaError) {
            pending = try read(&added)
            for image in pending {
                let chain = Snapshots.chainIDs(image.config.diffIDs)
                for (i, layer) in image.layers.enumerated() where !snapshots.exists(chain[i]) {
                    do throws(EstibaError) {
                        try snapshots.ensure(chainID: chain[i], layer: layer.digest, diffID: image.config.diffIDs[i], parent: i > 0 ? chain[i - 1] : nil)
                    } catch {
                        var context = error.context
                        context["path"] = path
                        context["digest"] = layer.digest.description
                        throw EstibaError(
                            error.code,
                            "Cannot load \(path): its layer \(layer.digest.short) is unusable: \(error.message) Nothing was loaded; get the image from a source you trust.",
                            context: context)
                    }
                    added.snapshots.append(chain[i])
                }
            }
        } catch {
            for c in added.snapshots { try? snapshots.remove(c) }
            for d in added.blobs {
                content.delete(d)
                try? Files.remove(layout.layerInfo(d))
            }
            throw error
        }
        return pending
    }

    nonisolated func loadDockerArchive(_ s: Staging, added: inout LoadAdditions) throws(EstibaError) -> [PendingImage] {
        let doc = try JSONFields.parse(try StoreFile.read(try s.file("manifest.json")), document: "manifest.json")
        guard let entries = doc.arrayValue else { throw EstibaError(.badInput, "manifest.json is not an array.") }
        var loaded: [PendingImage] = []
        for (i, entry) in entries.enumerated() {
            let f = try JSONFields(entry, document: "manifest.json entry \(i)")
            let configBytes = try StoreFile.read(try s.file(try f.string("Config")))
            let config = try ImageConfig(bytes: configBytes)
            let layerPaths = try f.optionalStrings("Layers") ?? []
            guard layerPaths.count == config.diffIDs.count else {
                throw EstibaError(.badInput, "manifest.json entry \(i) has \(layerPaths.count) layers but its config lists \(config.diffIDs.count).")
            }
            var layers: [(digest: Digest, size: Int64)] = []
            for (j, p) in layerPaths.enumerated() {
                let diffID = config.diffIDs[j]
                // Already stored (maybe moved here for an earlier entry of this archive).
                if content.exists(diffID) {
                    layers.append((diffID, content.size(diffID) ?? 0))
                    continue
                }
                layers.append(try adoptLayer(try s.file(p), diffID: diffID, movable: s.owned))
                added.blobs.append(diffID)
            }
            let refs = (try f.optionalStrings("RepoTags") ?? []).compactMap { try? ImageReference(parsing: $0) }
            loaded.append(PendingImage(configBytes: configBytes, config: config, layers: layers, references: refs))
        }
        return loaded
    }

    nonisolated func loadOCI(_ s: Staging, added: inout LoadAdditions) throws(EstibaError) -> [PendingImage] {
        let index = try ImageIndex(bytes: try StoreFile.read(try s.file("index.json")))
        var loaded: [PendingImage] = []
        for descriptor in index.manifests {
            var manifestDescriptor = descriptor
            if descriptor.mediaType == MediaType.imageIndex || descriptor.mediaType == MediaType.dockerManifestList {
                let nested = try ImageIndex(bytes: try s.blob(descriptor.digest), document: "index \(descriptor.digest.short)")
                guard let pick = nested.manifests.first(where: { $0.platform?.architecture == HostPlatform.architecture && $0.platform?.os == "linux" })
                    ?? nested.manifests.first
                else { continue }
                manifestDescriptor = pick
            }
            let manifest = try Manifest(bytes: try s.blob(manifestDescriptor.digest), document: "manifest \(manifestDescriptor.digest.short)")
            let configBytes = try s.blob(manifest.config.digest)
            let config = try ImageConfig(bytes: configBytes)
            guard manifest.layers.count == config.diffIDs.count else {
                throw EstibaError(.badInput, "Manifest \(manifestDescriptor.digest.short) has \(manifest.layers.count) layers but its config lists \(config.diffIDs.count).")
            }
            var layers: [(digest: Digest, size: Int64)] = []
            for (j, l) in manifest.layers.enumerated() {
                let diffID = config.diffIDs[j]
                if content.exists(diffID) {
                    layers.append((diffID, content.size(diffID) ?? 0))
                    continue
                }
                let file = try s.file("blobs/sha256/" + l.digest.hex)
                guard try StoreFile.digest(file) == l.digest else {
                    throw EstibaError(.badInput, "Layer blob \(l.digest) does not match its digest.", context: ["digest": l.digest.description])
                }
                layers.append(try adoptLayer(file, diffID: config.diffIDs[j], movable: s.owned))
                added.blobs.append(config.diffIDs[j])
            }
            var refs: [ImageReference] = []
            if let name = descriptor.annotation("io.containerd.image.name") ?? descriptor.annotation(Annotation.refName),
                let ref = try? ImageReference(parsing: name)
            {
                refs = [ref]
            }
            loaded.append(PendingImage(configBytes: configBytes, config: config, layers: layers, references: refs))
        }
        return loaded
    }

    /// Puts a layer file into the store as an uncompressed blob whose digest must be `diffID`; returns it.
    /// `movable`: the file is in our own staging area and may be moved instead of copied.
    nonisolated func adoptLayer(_ file: String, diffID: Digest, movable: Bool) throws(EstibaError) -> (digest: Digest, size: Int64) {
        if content.exists(diffID) {
            return (diffID, content.size(diffID) ?? 0)
        }
        let stored: (digest: Digest, size: Int64)
        if try Compression.isCompressed(file) {
            let decompressed = try layout.stagedFile()
            try Compression.decompress(file, to: decompressed.descriptor)
            stored = try content.adopt(decompressed, expected: diffID)
        } else {
            stored = movable ? try content.adopt(file, expected: diffID) : try content.putFile(file, expected: diffID)
        }
        try layerInfo.record(diffID, contentSize: try LayerInfo.scanContentSize(layout.blob(diffID)))
        return stored
    }
}

/// An unpacked archive or a layout directory; paths from its documents are resolved without `..` or symlinks.
struct Staging {
    let root: String
    /// True for our own unpacked copy (under the store's tmp/), false for a user's directory.
    let owned: Bool

    func file(_ relative: String) throws(EstibaError) -> String {
        let path = try EntryPath(relative)
        guard !path.isRoot else { throw EstibaError(.badInput, "The archive names an empty path.") }
        var current = root
        for part in path.components {
            current += "/" + part
            guard let status = try? Files.status(current, followLinks: false) else {
                throw EstibaError(.badInput, "The archive names \(relative), which it does not contain.", context: ["entry": relative])
            }
            if status.kind == .symbolicLink {
                throw EstibaError.unsafe(relative, "it goes through a symbolic link")
            }
        }
        return current
    }

    /// A blob's bytes, checked against its digest.
    func blob(_ d: Digest) throws(EstibaError) -> [UInt8] {
        let bytes = try StoreFile.read(try file("blobs/sha256/" + d.hex))
        guard Digest.of(bytes) == d else {
            throw EstibaError(.badInput, "Blob \(d) in the archive does not match its digest.", context: ["digest": d.description])
        }
        return bytes
    }
}

/// Compressed layer files (gzip, zstd, xz, bzip2) and their decompression.
enum Compression {
    static func isCompressed(_ path: String) throws(EstibaError) -> Bool {
        let magic = try FileDescriptor.open(path).read(upTo: 6)
        let n = magic.count
        guard n >= 2 else { return false }
        if magic[0] == 0x1F && magic[1] == 0x8B { return true }
        if n >= 4, magic[0..<4] == [0x28, 0xB5, 0x2F, 0xFD] { return true }
        if n >= 6, magic == [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00] { return true }
        if n >= 3, magic[0..<3] == [0x42, 0x5A, 0x68] { return true }
        return false
    }

    static func decompress(_ path: String, to output: FileDescriptor) throws(EstibaError) {
        guard let a = archive_read_new() else { throw EstibaError(.io, "libarchive could not allocate a reader.") }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_raw(a)
        guard archive_read_open_filename(a, path, 1 << 20) == ARCHIVE_OK else {
            throw LayerExtractor.readError(a, "Cannot read \(path)")
        }
        var entry: OpaquePointer? = nil
        guard archive_read_next_header(a, &entry) == ARCHIVE_OK else { throw LayerExtractor.readError(a, "Cannot decompress \(path)") }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = archive_read_data(a, buffer.baseAddress, buffer.count)
            if n == 0 { break }
            guard n > 0 else { throw LayerExtractor.readError(a, "Cannot decompress \(path)") }
            try output.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}
