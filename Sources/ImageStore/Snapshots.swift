import EstibaJSON
import Glibc

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

    func exists(_ chainID: Digest) -> Bool { FileSystem.exists(layout.snapshot(chainID) + "/record.json") }

    /// Bytes of file content in the snapshot (recorded when it was made).
    func contentSize(_ chainID: Digest) -> Int64? {
        guard let bytes = try? FileSystem.read(layout.snapshot(chainID) + "/record.json"),
            let v = try? JSONValue.parse(bytes)
        else { return nil }
        return v["contentSize"]?.intValue
    }

    /// Makes sure the snapshot of `layer` (whose chain ID is `chainID`) exists.
    func ensure(chainID: Digest, layer: Digest, diffID: Digest, parent: Digest?) throws(StoreError) {
        if exists(chainID) { return }
        let staging = try FileSystem.temporaryDirectory(in: layout.tmp)
        var committed = false
        defer { if !committed { try? FileSystem.removeTree(staging) } }
        let tree = staging + "/fs"
        try FileSystem.makeDirectory(tree, mode: 0o755)
        let stats = try LayerExtractor.extract(
            archive: layout.blob(layer), into: tree, options: ExtractOptions(whiteouts: .overlay))
        var record: JSONObject = [
            "chainID": .string(chainID.description), "diffID": .string(diffID.description),
            "layer": .string(layer.description), "contentSize": .int(stats.bytes), "entries": .int(Int64(stats.entries)),
        ]
        if let parent { record.append("parent", .string(parent.description)) }
        try FileSystem.atomicWrite(JSONValue.object(record).encoded(), to: staging + "/record.json", tmpDir: layout.tmp)
        if rename(staging, layout.snapshot(chainID)) == 0 {
            committed = true
            FileSystem.syncDirectory(of: layout.snapshot(chainID))
        } else if errno != EEXIST && errno != ENOTEMPTY {
            throw StoreError.io("Cannot move a new snapshot to", layout.snapshot(chainID), errno: errno)
        }
    }

    /// Extracts `layer` as `ensure` would, into scratch space that is removed again; nil when it would extract,
    /// else why not.
    func check(layer: Digest) -> String? {
        let staging: String
        do { staging = try FileSystem.temporaryDirectory(in: layout.tmp) } catch { return error.message }
        defer { try? FileSystem.removeTree(staging) }
        do {
            _ = try LayerExtractor.extract(archive: layout.blob(layer), into: staging, options: ExtractOptions(whiteouts: .overlay))
        } catch {
            return error.message
        }
        return nil
    }

    func remove(_ chainID: Digest) throws(StoreError) {
        // Move aside first so a half-removed snapshot is never mistaken for a whole one.
        let doomed = layout.tmp + "/removing-" + chainID.hex
        if rename(layout.snapshot(chainID), doomed) == 0 { try FileSystem.removeTree(doomed) }
    }

    func all() -> [Digest] {
        let fd = open(layout.snapshots, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        return RootedDirectory.listNames(fd).compactMap { Digest(hex: $0) }
    }
}
