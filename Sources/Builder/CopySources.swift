import Dockerfile
import Fetch
import ImageStore
import System

/// One matched source of a COPY or ADD: a path in a tree (the context, a stage's or image's files, or a
/// download's directory).
struct CopySource {
    var tree: SourceTree
    var path: String
    /// The URL it was downloaded from (ADD).
    var url: String?
}

/// What a COPY or ADD copies, and what to release once the step is done (a mounted image, downloads).
struct CopySources {
    var items: [CopySource] = []
    var heredocs: [Heredoc] = []
    /// The `--from` image's mounted layers.
    var workspace: StepWorkspace?
    /// Download directories to remove.
    var downloads: [String] = []

    var count: Int { items.count + heredocs.count }

    func release() {
        for d in downloads { try? Files.removeTree(d) }
        workspace?.unmountAll()
    }
}

extension BuildRun {
    /// Finds the sources: the tree they come from (the context, or `--from` a stage or image), wildcards
    /// expanded, URLs downloaded. Nil in a dry run whose `--from` stage would be rebuilt (its files are unknown).
    func resolveSources(_ node: Node, _ request: CopyRequest, state: StageState) async throws(EstibaError) -> CopySources? {
        var resolved = CopySources(heredocs: request.heredocs)
        var done = false
        defer { if !done { resolved.release() } }
        let tree: SourceTree
        if let ref = request.fromReference {
            guard let image = try await fromImage(node, ref, state: state) else { return nil }
            let ws = try StepWorkspace(tmp: tmp, lowers: [], empty: empty)
            resolved.workspace = ws
            let lowers: [String]
            do { lowers = try await builder.store.lowerDirectories(of: image) } catch {
                throw self.error(node, .io, "Cannot prepare \(ref)'s layers: \(error.message)")
            }
            let mounted = try ws.mountReadOnly(lowers, empty: empty)
            tree = try SourceTree(root: mounted, ignore: nil, name: "\(ref)", realOwners: true)
        } else {
            guard let context else { throw error(node, .io, "The build context is not open.") }
            tree = context
        }
        for s in request.sources {
            if Self.isURL(s) {
                let (remote, rel) = try download(s, node: node, destinationIsDirectory: request.destination.hasSuffix("/"))
                resolved.downloads.append(remote.root)
                resolved.items.append(CopySource(tree: remote, path: rel, url: s))
                continue
            }
            let found = try tree.expand(s)
            guard !found.isEmpty else {
                throw error(node, .notFound, "\(request.name) failed: \(s) is not in \(tree.name) (or is excluded by .dockerignore). Check the path, relative to the context directory.")
            }
            for rel in found { resolved.items.append(CopySource(tree: tree, path: rel)) }
        }
        done = true
        return resolved
    }

    /// The image `--from` names: an earlier stage's, or one in the store. Nil in a dry run whose stage would be
    /// rebuilt.
    func fromImage(_ node: Node, _ ref: String, state: StageState) async throws(EstibaError) -> ImageRecord? {
        guard let i = stageIndex(ref.lowercased(), before: state.index) else {
            // Not a stage: an image, from the store or pulled.
            return try await externalImage(ref, platform: nil, node: node, what: "COPY --from=\(ref) names no stage, and the image \(ref)")
        }
        guard let prior = stages[i] else { throw error(node, .notFound, "Stage \(ref) was not built.") }
        if let image = prior.image { return image }
        if options.dryRun, prior.parentKey == nil { return nil }
        throw error(node, .notFound, "Stage \(ref) has no files (it is FROM scratch with no steps).")
    }

    /// Downloads an ADD URL into a scratch directory, named as Docker names it (the URL's last path element);
    /// mode 0600, modified at the server's Last-Modified (else the epoch).
    func download(_ url: String, node: Node, destinationIsDirectory: Bool) throws(EstibaError) -> (SourceTree, String) {
        let path = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        let afterHost = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst(2)
        var filename = afterHost.last.map(String.init) ?? ""
        if filename.isEmpty || filename == "." || filename == ".." {
            guard !destinationIsDirectory else {
                throw error(node, .invalidArgument, "Cannot determine a file name from \(url); give the destination as a file path.")
            }
            filename = "download"
        }
        let dir: String
        do { dir = try Files.makeTemporaryDirectory(in: tmp, prefix: "fetch-") } catch {
            throw self.error(node, .io, "Cannot create a download directory in \(tmp).")
        }
        let file = dir + "/" + filename
        let result: Download
        do { result = try Fetch.download(url, to: file) } catch {
            try? Files.removeTree(dir)
            throw self.error(node, .notFound, "ADD could not fetch \(url): \(error.message) Check the URL and the network, or put the file in the build context.")
        }
        let modified = FileTime(seconds: Int64(result.lastModified ?? 0))
        try? Files.setTimes(file, accessed: modified, modified: modified)
        try? Files.setPermissions(file, 0o600)
        return (try SourceTree(root: dir, ignore: nil, name: "the download of \(url)", realOwners: true), filename)
    }
}
