import EstibaJSON
import System

/// Repository digests: the `NAME@sha256:…` references an image was pulled (or pushed) by, Docker's `RepoDigests`.
/// A digest names the manifest, or the index, the registry serves; one reference points at one image at a time.
/// Kept in `repodigests.json` beside the OCI layout (not in it: other tools read that as-is), by image ID, written
/// under the index lock like every change of names. They are not part of what `save` writes, as with Docker.
public struct RepoDigest: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The repository as local tags name it (`busybox`, `127.0.0.1:5000/app`).
    public var name: String
    public var digest: Digest

    public init(name: String, digest: Digest) {
        self.name = name
        self.digest = digest
    }

    /// Parses `NAME@sha256:<64 hex>`, the name normalised like a tag's (`docker.io/library/busybox` is `busybox`).
    public init(parsing text: String) throws(EstibaError) {
        guard let at = text.lastIndex(of: "@"), let digest = Digest(String(text[text.index(after: at)...])) else {
            throw EstibaError(
                .invalidArgument, "\"\(text)\" is not a digest reference; write NAME@sha256:<64 hex digits>.", context: ["reference": text])
        }
        var name = String(text[..<at])
        // `name:tag@digest` names the digest; the tag is only a reminder (as with Docker).
        if let colon = name.lastIndex(of: ":"), !name[colon...].contains("/") { name = String(name[..<colon]) }
        self.name = try ImageReference(parsing: name).name
        self.digest = digest
    }

    /// Whether `text` has the form of a digest reference.
    public static func isDigestReference(_ text: String) -> Bool { text.contains("@") }

    public var description: String { name + "@" + digest.description }
    public static func < (a: RepoDigest, b: RepoDigest) -> Bool { a.description < b.description }
}

/// The table of repository digests by image ID, as `repodigests.json` holds it:
/// `{"images":{"sha256:<id>":["busybox@sha256:…"]}}`.
struct RepoDigestTable: Sendable, Equatable {
    var byImage: [Digest: [RepoDigest]] = [:]

    init() {}

    /// Parses the file; entries it cannot read are skipped (a digest reference is a convenience, never content).
    init(bytes: [UInt8]) {
        guard let doc = try? JSONValue.parse(bytes), let images = doc["images"]?.objectValue else { return }
        for (key, value) in images {
            guard let id = Digest(key), let refs = value.arrayValue else { continue }
            let parsed = refs.compactMap { $0.stringValue.flatMap { try? RepoDigest(parsing: $0) } }
            if !parsed.isEmpty { byImage[id] = Array(Set(parsed)).sorted() }
        }
    }

    var encoded: [UInt8] {
        let images = byImage.keys.sorted { $0.description < $1.description }.map { id in
            (id.description, JSONValue.array((byImage[id] ?? []).map { .string($0.description) }))
        }
        return JSONValue.object(JSONObject([("images", .object(JSONObject(images)))])).encoded()
    }

    /// The image `reference` points at.
    func image(for reference: RepoDigest) -> Digest? {
        byImage.first { $0.value.contains(reference) }?.key
    }

    /// Points `reference` at `image`, taking it from any other image.
    mutating func add(_ reference: RepoDigest, to image: Digest) {
        remove(reference)
        byImage[image, default: []].append(reference)
        byImage[image]?.sort()
    }

    mutating func remove(_ reference: RepoDigest) {
        for (id, refs) in byImage where refs.contains(reference) {
            let rest = refs.filter { $0 != reference }
            byImage[id] = rest.isEmpty ? nil : rest
        }
    }

    /// Drops `image`'s digests of repository `name` (its last tag there went); returns them.
    mutating func removeRepository(_ name: String, of image: Digest) -> [RepoDigest] {
        let refs = byImage[image] ?? []
        let gone = refs.filter { $0.name == name }
        let rest = refs.filter { $0.name != name }
        byImage[image] = rest.isEmpty ? nil : rest
        return gone
    }

    /// Keeps only the images in `listed` (an image removed or collected takes its digests with it).
    mutating func keep(_ listed: Set<Digest>) {
        byImage = byImage.filter { listed.contains($0.key) }
    }
}

extension ImageStore {
    /// Records that `image` (an image ID) is `name@digest` in a registry: after a pull by tag or digest, or a
    /// push. `name` is the repository as local tags name it (`busybox`, `example.com/team/app`); `digest` is the
    /// manifest's, or the index's when the registry served one. The image must be listed.
    public func addRepoDigest(image: Digest, name: String, digest: Digest) async throws(EstibaError) {
        let reference = try RepoDigest(parsing: name + "@" + digest.description)
        await beginIndexChange()
        defer { endIndexChange() }
        let layout = self.layout
        let content = self.content
        // Under the index lock, without rewriting the index (`generation` follows this file too).
        try await runOnThread { () throws(EstibaError) in
            do throws(EstibaError) {
                let lock = try layout.lockIndex()
                defer { lock.close() }
                let index = try Self.loadIndex(layout)
                let listed = index.manifests.contains { m in
                    (try? Manifest(bytes: content.read(m.digest)))?.config.digest == image
                }
                guard listed else {
                    throw EstibaError(.notFound, "No such image: \(image.short).", context: ["image": image.description])
                }
                var table = try Self.loadRepoDigests(layout)
                guard table.image(for: reference) != image else { return }
                table.add(reference, to: image)
                try Self.writeRepoDigests(table, layout)
            } catch {
                throw error.code == .notFound ? error : EstibaError.storeWrite("the repository digests", to: layout.root, error)
            }
        }
    }

    /// The identity of `repodigests.json` (inode, modification time, size; empty when missing): part of `generation`.
    nonisolated func repoDigestsKey() -> [Int] {
        guard let st = try? Files.status(layout.repoDigestsFile) else { return [] }
        return [st.inode, UInt64(bitPattern: st.modified.seconds), UInt64(bitPattern: st.modified.nanoseconds), UInt64(bitPattern: st.size)]
            .map { Int(truncatingIfNeeded: $0) }
    }

    /// The repository digests of every image, as `repodigests.json` holds them now.
    func repoDigests() -> RepoDigestTable {
        (try? Self.loadRepoDigests(layout)) ?? RepoDigestTable()
    }

    /// `repodigests.json` (empty when missing).
    static func loadRepoDigests(_ layout: StoreLayout) throws(EstibaError) -> RepoDigestTable {
        guard Files.exists(layout.repoDigestsFile) else { return RepoDigestTable() }
        return RepoDigestTable(bytes: try StoreFile.read(layout.repoDigestsFile))
    }

    /// Writes `repodigests.json`; call under the index lock.
    static func writeRepoDigests(_ table: RepoDigestTable, _ layout: StoreLayout) throws(EstibaError) {
        try layout.write(table.encoded, to: layout.repoDigestsFile)
    }

    /// `records` with their repository digests filled in.
    func withRepoDigests(_ records: [ImageRecord]) -> [ImageRecord] {
        let table = repoDigests()
        guard !table.byImage.isEmpty else { return records }
        return records.map { r in
            var r = r
            r.repoDigests = table.byImage[r.id] ?? []
            return r
        }
    }
}

// MARK: names and removal

extension ImageStore {
    /// The listed image `NAME@sha256:…` points at.
    func resolve(digestReference spec: String, in index: ImageIndex) throws(EstibaError) -> Digest {
        let reference = try RepoDigest(parsing: spec)
        if let id = repoDigests().image(for: reference) {
            for m in index.manifests where (try? record(manifestDigest: m.digest, index: index))?.id == id { return m.digest }
        }
        throw EstibaError(
            .notFound, "No such image: \(spec). Run `estiba images --digests` to list the digests images were pulled by.",
            context: ["image": spec])
    }

    /// `rmi` of a name that leaves the image in place because other names remain (Docker's rules): a digest
    /// reference goes alone; the last tag of a repository takes that repository's digests with it. Nil when the
    /// image itself goes (`remove` carries on).
    func removeNames(_ spec: String, of image: ImageRecord) async throws(EstibaError) -> [RemovalEvent]? {
        let layout = self.layout
        if RepoDigest.isDigestReference(spec) {
            let reference = try RepoDigest(parsing: spec)
            guard !image.references.isEmpty || image.repoDigests.count > 1 else { return nil }
            try await updateIndex(writing: "the repository digests") { _ throws(EstibaError) in
                var table = try Self.loadRepoDigests(layout)
                table.remove(reference)
                try Self.writeRepoDigests(table, layout)
            }
            return [.untaggedDigest(reference)]
        }
        guard let tag = try? ImageReference(parsing: spec), image.references == [tag],
            image.repoDigests.contains(where: { $0.name != tag.name })
        else { return nil }
        let id = image.id
        let dropped = try await updateIndex(writing: "the repository digests") { index throws(EstibaError) -> [RepoDigest] in
            Self.removeReference(tag, from: &index)
            var table = try Self.loadRepoDigests(layout)
            let dropped = table.removeRepository(tag.name, of: id)
            try Self.writeRepoDigests(table, layout)
            return dropped
        }
        return [.untagged(tag)] + dropped.map { .untaggedDigest($0) }
    }

    /// After `tag` was untagged from `image` (which keeps other tags): when it was the repository's last tag, the
    /// repository's digests go too.
    func dropRepoDigests(of image: ImageRecord, untagging tag: ImageReference) async throws(EstibaError) -> [RemovalEvent] {
        guard image.repoDigests.contains(where: { $0.name == tag.name }),
            !image.references.contains(where: { $0 != tag && $0.name == tag.name })
        else { return [] }
        let layout = self.layout
        let id = image.id
        let dropped = try await updateIndex(writing: "the repository digests") { _ throws(EstibaError) -> [RepoDigest] in
            var table = try Self.loadRepoDigests(layout)
            let dropped = table.removeRepository(tag.name, of: id)
            try Self.writeRepoDigests(table, layout)
            return dropped
        }
        return dropped.map { .untaggedDigest($0) }
    }

    /// Removes every index entry of the manifest `target`, and the image's digests when no entry lists it any more.
    func removeImageEntries(_ target: Digest, id: Digest) async throws(EstibaError) {
        let layout = self.layout
        let content = self.content
        try await updateIndex { index throws(EstibaError) in
            index.manifests.removeAll { $0.digest == target }
            var table = try Self.loadRepoDigests(layout)
            guard table.byImage[id] != nil else { return }
            let stillListed = index.manifests.contains { m in (try? Manifest(bytes: content.read(m.digest)))?.config.digest == id }
            if !stillListed {
                table.byImage[id] = nil
                try Self.writeRepoDigests(table, layout)
            }
        }
    }
}
