import EstibaJSON
import ImageStore
import System

/// What one cached step was made of, so a later miss can say what changed.
struct CacheRecord: Sendable {
    var key: Digest
    /// The image the step was built on ("scratch" for a first step on nothing).
    var parent: String
    /// The instruction after expansion, without source digests and build args.
    var instruction: String
    /// Source files and their digests (COPY/ADD).
    var sources: [(String, String)]
    /// Build args the step saw (RUN).
    var args: [(String, String)]
    var manifest: Digest
    var image: Digest
    var created: Int
    /// Bytes of file content in the step's layer (0 for an empty one).
    var layerSize: Int64 = 0

    var json: JSONValue {
        [
            "key": .string(key.description), "parent": .string(parent), "instruction": .string(instruction),
            "sources": .object(JSONObject(sources.map { (k, v) -> (String, JSONValue) in (k, .string(v)) })),
            "args": .object(JSONObject(args.map { (k, v) -> (String, JSONValue) in (k, .string(v)) })),
            "manifest": .string(manifest.description), "image": .string(image.description), "created": .int(Int64(created)),
            "layerSize": .int(layerSize),
        ]
    }

    init(
        key: Digest, parent: String, instruction: String, sources: [(String, String)], args: [(String, String)], manifest: Digest,
        image: Digest, created: Int, layerSize: Int64
    ) {
        self.layerSize = layerSize
        self.key = key
        self.parent = parent
        self.instruction = instruction
        self.sources = sources
        self.args = args
        self.manifest = manifest
        self.image = image
        self.created = created
    }

    init?(_ v: JSONValue) {
        guard let k = v["key"]?.stringValue.flatMap({ Digest($0) }), let p = v["parent"]?.stringValue,
            let i = v["instruction"]?.stringValue, let m = v["manifest"]?.stringValue.flatMap({ Digest($0) }),
            let img = v["image"]?.stringValue.flatMap({ Digest($0) })
        else { return nil }
        key = k
        parent = p
        instruction = i
        sources = (v["sources"]?.objectValue ?? [:]).map { k, v in (k, v.stringValue ?? "") }
        args = (v["args"]?.objectValue ?? [:]).map { k, v in (k, v.stringValue ?? "") }
        manifest = m
        image = img
        created = Int(v["created"]?.intValue ?? 0)
        layerSize = v["layerSize"]?.intValue ?? 0
    }
}

/// The step cache: `records/<key>.json`, plus `parents/<parent>/<key>` and `instructions/<digest>/<key>`
/// markers so a miss can be explained by what was built on the same parent, or with the same instruction.
struct BuildCache {
    let directory: String

    /// Opens the cache; `create` makes its directories (a build), otherwise it is only read (history, prune).
    init(root: String, create: Bool = true) throws(EstibaError) {
        directory = StoreLayout(root: root).buildCache
        guard create else { return }
        for d in [directory, directory + "/records", directory + "/parents", directory + "/instructions", directory + "/images"] {
            do { try Files.ensureDirectory(d, permissions: 0o700) } catch {
                throw EstibaError.build(.io, "Cannot create the build cache at \(d): \(error.reason).")
            }
        }
    }

    static func key(parent: String, instruction: String, sources: String, args: [(String, String)], extra: String) -> Digest {
        var text = "estiba-build-step-v1\n" + parent + "\n" + instruction + "\n" + sources + "\n"
        for (k, v) in args { text += k + "=" + v + "\n" }
        return Digest.of(text + extra)
    }

    func lookup(_ key: Digest) -> CacheRecord? { read(directory + "/records/" + key.hex + ".json") }

    private func read(_ path: String) -> CacheRecord? {
        guard let bytes = try? Files.read(path, upTo: 64 << 20), let v = try? JSONValue.parse(bytes) else { return nil }
        return CacheRecord(v)
    }

    /// Records a built step: its record is replaced atomically (readers never see a torn file) but not flushed to
    /// disk, as a lost record is only a cache miss; the markers that explain misses are best effort.
    func save(_ r: CacheRecord) throws(EstibaError) {
        let path = directory + "/records/" + r.key.hex + ".json"
        do { try AtomicFile.write(r.json.encoded(), to: path, permissions: 0o600, durable: false) } catch {
            throw EstibaError.build(.io, "Cannot write the build cache record \(path): \(error.reason).")
        }
        mark(directory + "/parents/" + Self.safe(r.parent), r.key)
        let link = directory + "/images/" + r.image.hex
        try? Files.remove(link)
        try? Files.makeSymbolicLink(link, to: r.parent)
        mark(directory + "/instructions/" + Digest.of(r.instruction).hex, r.key)
    }

    private static func safe(_ parent: String) -> String { Digest(parent)?.hex ?? parent }

    private func mark(_ dir: String, _ key: Digest) {
        try? Files.makeDirectory(dir, permissions: 0o700)
        _ = try? FileDescriptor.open(dir + "/" + key.hex, [.writeOnly, .create], permissions: 0o600)
    }

    /// The names in a directory of the cache (empty when it does not exist).
    private func names(in dir: String) -> [String] { (try? FileDescriptor.open(dir, .directory).names()) ?? [] }

    private func records(in dir: String) -> [CacheRecord] {
        names(in: dir).filter { $0.count == 64 }.compactMap { read(directory + "/records/" + $0 + ".json") }
            .sorted { $0.created > $1.created }
    }

    /// Steps built on `parent`, newest first.
    func children(of parent: String) -> [CacheRecord] { records(in: directory + "/parents/" + Self.safe(parent)) }

    /// Steps built with this instruction text, newest first.
    func withInstruction(_ instruction: String) -> [CacheRecord] {
        records(in: directory + "/instructions/" + Digest.of(instruction).hex)
    }

    /// The image a built step's image was built on ("scratch" for the first step on nothing).
    func parent(of image: Digest) -> String? { try? Files.readLink(directory + "/images/" + image.hex) }

    /// Every cached step, newest first.
    func all() -> [CacheRecord] {
        names(in: directory + "/records").filter { $0.hasSuffix(".json") }.compactMap { read(directory + "/records/" + $0) }
            .sorted { $0.created > $1.created }
    }

    /// Removes a step's record and the markers that name it; with `unlinkingImage`, also the link from its image
    /// to its parent (which `history` and collection read). Marker directories left empty go (best effort, like
    /// the markers themselves).
    func remove(_ r: CacheRecord, unlinkingImage: Bool) {
        try? Files.remove(directory + "/records/" + r.key.hex + ".json")
        unmark(directory + "/parents/" + Self.safe(r.parent), r.key)
        unmark(directory + "/instructions/" + Digest.of(r.instruction).hex, r.key)
        if unlinkingImage { unlink(image: r.image) }
    }

    /// Removes the link from a step's image to its parent.
    func unlink(image: Digest) { try? Files.remove(directory + "/images/" + image.hex) }

    /// The images that have a link to their parent.
    func linkedImages() -> [Digest] { names(in: directory + "/images").compactMap { Digest(hex: $0) } }

    private func unmark(_ dir: String, _ key: Digest) {
        try? Files.remove(dir + "/" + key.hex)
        try? Files.removeDirectory(dir)
    }

    /// Manifests of every cached step (kept by `prune`).
    func manifests() -> Set<Digest> {
        Set(names(in: directory + "/records").filter { $0.hasSuffix(".json") }.compactMap { read(directory + "/records/" + $0)?.manifest })
    }

    /// Why a step that missed the cache must run.
    func explain(
        parent: String, parentRebuilt: Bool, firstInStage: Bool, instruction: String, sources: [(String, String)],
        args: [(String, String)]
    ) -> String {
        if parentRebuilt { return "previous step rebuilt" }
        let siblings = children(of: parent)
        if let same = siblings.first(where: { $0.instruction == instruction }) {
            let before = Dictionary(same.sources, uniquingKeysWith: { a, _ in a })
            let now = Dictionary(sources, uniquingKeysWith: { a, _ in a })
            var changed = sources.filter { before[$0.0] != $0.1 }.map(\.0)
            changed += same.sources.filter { now[$0.0] == nil }.map(\.0)
            if !changed.isEmpty {
                let shown = changed.prefix(5).joined(separator: ", ")
                return "source changed: " + shown + (changed.count > 5 ? " and \(changed.count - 5) more" : "")
            }
            let oldArgs = Dictionary(same.args, uniquingKeysWith: { a, _ in a })
            let newArgs = Dictionary(args, uniquingKeysWith: { a, _ in a })
            let argNames = Set(oldArgs.keys).union(newArgs.keys).filter { oldArgs[$0] != newArgs[$0] }.sorted()
            if !argNames.isEmpty {
                return "build arg " + argNames.joined(separator: ", ") + " changed"
            }
            return "the cached image of this step was removed"
        }
        if !siblings.isEmpty { return "instruction changed" }
        if firstInStage, !withInstruction(instruction).isEmpty { return "base image changed" }
        return "not built before"
    }
}
