import EstibaJSON
import System

/// Each layer extracted once, by chain ID, with overlay-style whiteouts: ready to be an overlay lower directory.
struct Snapshots {
    let layout: StoreLayout
    let content: ContentStore

    /// ChainID(L0) = DiffID(L0); ChainID(L0…n) = sha256(ChainID(L0…n-1) + " " + DiffID(Ln)).
    static func chainIDs(_ diffIDs: [Digest]) -> [Digest] {
        var out: [Digest] = []
        for d in diffIDs {
            out.append(out.last.map { Digest.of("\($0) \(d)") } ?? d)
        }
        return out
    }

    func exists(_ chainID: Digest) -> Bool { Files.exists(layout.snapshot(chainID) + "/record.json") }

    /// Bytes of file content in the snapshot (recorded when it was made).
    func contentSize(_ chainID: Digest) -> Int64? {
        guard let bytes = try? StoreFile.read(layout.snapshot(chainID) + "/record.json"),
            let v = try? JSONValue.parse(bytes)
        else { return nil }
        return v["contentSize"]?.intValue
    }

    /// Makes sure the snapshot of `layer` (whose chain ID is `chainID`) exists.
    func ensure(chainID: Digest, layer: Digest, diffID: Digest, parent: Digest?) throws(EstibaError) {
        if exists(chainID) { return }
        let staging = try layout.stagingDirectory()
        var committed = false
        defer { if !committed { try? Files.removeTree(staging) } }
        let tree = staging + "/fs"
        try Files.makeDirectory(tree, permissions: 0o755)
        let stats = try LayerExtractor.extract(
            archive: layout.blob(layer), into: tree, options: ExtractOptions(whiteouts: .overlay))
        var record: JSONObject = [
            "chainID": .string(chainID.description), "diffID": .string(diffID.description),
            "layer": .string(layer.description), "contentSize": .int(stats.bytes), "entries": .int(Int64(stats.entries)),
        ]
        if let parent { record.append("parent", .string(parent.description)) }
        try layout.write(JSONValue.object(record).encoded(), to: staging + "/record.json")
        do {
            try Files.rename(staging, to: layout.snapshot(chainID))
            committed = true
            try? FileDescriptor.open(layout.snapshots, .directory).sync()
        } catch {
            // Another process made the same snapshot meanwhile: keep theirs.
            if !error.isAlreadyExisting && !error.isNotEmpty {
                throw EstibaError.io("Cannot move a new snapshot to", layout.snapshot(chainID), error)
            }
        }
    }

    /// Extracts `layer` as `ensure` would, into scratch space that is removed again; nil when it would extract,
    /// else why not.
    func check(layer: Digest) -> String? {
        let staging: String
        do { staging = try layout.stagingDirectory() } catch { return error.message }
        defer { try? Files.removeTree(staging) }
        do {
            _ = try LayerExtractor.extract(archive: layout.blob(layer), into: staging, options: ExtractOptions(whiteouts: .overlay))
        } catch {
            return error.message
        }
        return nil
    }

    func remove(_ chainID: Digest) throws(EstibaError) {
        // Move aside first so a half-removed snapshot is never mistaken for a whole one.
        let doomed = layout.tmp + "/removing-" + chainID.hex
        guard (try? Files.rename(layout.snapshot(chainID), to: doomed)) != nil else { return }
        try Files.removeTree(doomed)
    }

    func all() -> [Digest] { StoreFile.names(in: layout.snapshots).compactMap { Digest(hex: $0) } }
}
