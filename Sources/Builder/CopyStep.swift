import Dockerfile
import Fetch
import Glibc
import ImageStore
import Runtime

extension BuildRun {
    /// COPY and ADD: sources from the context (or `--from` a stage or image), hashed by content for the cache key.
    func copyStep(_ node: Node, _ state: inout StageState, add: Bool) async throws(BuildError) {
        let name = add ? "ADD" : "COPY"
        let f = try flags(node, allowed: add ? ["chown", "chmod", "link", "checksum", "keep-git-dir"] : ["from", "chown", "chmod", "link"])
        if add, f["checksum"] != nil || f["keep-git-dir"] != nil {
            throw error(node, .syntax, "ADD --checksum and --keep-git-dir apply to remote sources, which Estiba does not fetch yet.")
        }
        let env = node.original.contains("$") ? state.expansionEnvironment() : [:]
        var words = node.next.map(\.value)
        guard words.count >= 2 else { throw error(node, .syntax, "\(name) requires at least two arguments: source(s) and destination.") }
        var destination = try expand(words.removeLast(), env: env, node: node)
        let chown = try f["chown"].map { c throws(BuildError) in try expand(c, env: env, node: node) }
        var mode: mode_t?
        if let c = f["chmod"] {
            let text = try expand(c, env: env, node: node)
            guard let m = mode_t(text, radix: 8), m <= 0o7777 else {
                throw error(node, .syntax, "--chmod=\(text) is not an octal mode like 755.")
            }
            mode = m
        }
        // Heredoc sources become files named after their delimiter.
        var inline: [(name: String, content: String)] = []
        var sources: [String] = []
        for w in words {
            if w.hasPrefix("<<"), let h = node.heredocs.first(where: { w.hasSuffix($0.name) }) {
                inline.append((h.name, h.content))
            } else {
                sources.append(try expand(w, env: env, node: node))
            }
        }
        func isURL(_ s: String) -> Bool { s.hasPrefix("http://") || s.hasPrefix("https://") }
        if let url = sources.first(where: { isURL($0) || $0.hasPrefix("git@") }) {
            if !add { throw error(node, .syntax, "COPY cannot copy from a URL (\(url)); use ADD, or download it into the build context.") }
            if !isURL(url) { throw error(node, .invalidArgument, "ADD from git (\(url)) is not supported; clone the repository into the build context and ADD it from there.") }
        }
        // Where the sources come from.
        var tree: SourceTree
        var fromWorkspace: StepWorkspace?
        if let from = f["from"] {
            let ref = try expand(from, env: env, node: node)
            let image: ImageRecord?
            if let i = stageIndex(ref.lowercased(), before: state.index) {
                guard let prior = stages[i] else { throw error(node, .notFound, "Stage \(ref) was not built.") }
                guard let img = prior.image else {
                    if options.dryRun, prior.parentKey == nil {
                        // The stage would be rebuilt, so its files are unknown.
                        report(node: node, stage: state.index, cached: false, reason: "stage \(ref) rebuilt", image: nil, layerSize: 0, started: Timestamp.nowSeconds, createdBy: nil)
                        state.parentKey = nil
                        state.rebuilt = true
                        return
                    }
                    throw error(node, .notFound, "Stage \(ref) has no files (it is FROM scratch with no steps).")
                }
                image = img
            } else {
                do { image = try await builder.store.image(ref) } catch {
                    throw self.error(node, .notFound, "COPY --from=\(ref): no stage has that name and no image in the store either. \(error.message)")
                }
            }
            guard let image else { throw error(node, .notFound, "COPY --from=\(ref) names nothing to copy from.") }
            let ws = try StepWorkspace(tmp: tmp, lowers: [], empty: empty)
            let lowers: [String]
            do { lowers = try await builder.store.lowerDirectories(of: image) } catch {
                throw self.error(node, .io, "Cannot prepare \(ref)'s layers: \(error.message)")
            }
            let mounted = try ws.mountReadOnly(lowers, empty: empty)
            fromWorkspace = ws
            tree = try SourceTree(root: mounted, ignore: nil, name: "\(ref)", realOwners: true)
        } else {
            guard let context else { throw error(node, .io, "The build context is not open.") }
            tree = context
        }
        defer { fromWorkspace?.unmountAll() }
        // Expand wildcards, download URLs, and hash what the step will copy.
        var matched: [(tree: SourceTree, rel: String, remote: Bool)] = []
        var hashes: [String] = []
        var files: [(String, String)] = []
        var downloads: [String] = []
        defer { for d in downloads { FileTree.remove(d) } }
        let wildcard = sources.contains { !isURL($0) && $0.contains { "*?[".contains($0) } }
        for s in sources {
            if isURL(s) {
                let (remote, rel) = try download(s, node: node, destinationIsDirectory: destination.hasSuffix("/"))
                downloads.append(remote.root)
                matched.append((remote, rel, true))
                var urlFiles: [(String, String)] = []
                // Docker names a download by its bare digest (no "file:").
                let digest = try builder.hasher.source(remote, rel, files: &urlFiles)
                hashes.append(digest.hasPrefix("file:") ? String(digest.dropFirst(5)) : digest)
                files += urlFiles.map { (s, $0.1) }
                continue
            }
            let found = try tree.expand(s)
            guard !found.isEmpty else {
                throw error(node, .notFound, "\(name) failed: \(s) is not in \(tree.name) (or is excluded by .dockerignore). Check the path, relative to the context directory.")
            }
            for rel in found {
                matched.append((tree, rel, false))
                hashes.append(try builder.hasher.source(tree, rel, files: &files))
            }
        }
        for h in inline {
            let digest = Digest.of(h.content).hex
            hashes.append("file:" + digest)
            files.append(("<<" + h.name, digest))
        }
        let count = matched.count + inline.count
        if !destination.hasPrefix("/") {
            let base = state.config.config.workingDir ?? "/"
            let keepSlash = destination.hasSuffix("/") || destination == "." || destination.hasSuffix("/.")
            destination = PathClean.clean(base + "/" + destination) + (keepSlash ? "/" : "")
        }
        let destIsDir = destination.hasSuffix("/")
        if (count > 1 || wildcard && count > 1) && !destIsDir {
            throw error(node, .syntax, "When using \(name) with more than one source file, the destination must be a directory and end with a /.")
        }
        let srcHash = SourceHasher.combine(hashes)
        // Docker 20.10 writes no space between the --chown value and the digest; history matches it.
        let chownText = chown.map { "--chown=\($0)" } ?? ""
        let createdBy = (state.shell + ["#(nop) \(name) \(chownText)\(srcHash) in \(destination) "]).joined(separator: " ")
        var flagText = ""
        if let from = f["from"] { flagText += "--from=\(from) " }
        if let chown { flagText += "--chown=\(chown) " }
        if let c = f["chmod"] { flagText += "--chmod=\(c) " }
        let instruction = "\(name) \(flagText)\((sources + inline.map { "<<" + $0.name }).joined(separator: " ")) \(destination)"
        let stepSources = StepSources(digest: srcHash, files: files)
        let isAdd = add
        try await commit(
            node, &state, instruction: instruction, createdBy: createdBy, sources: stepSources, change: { _ in },
            work: .filesystem({ root, ws throws(BuildError) in
                var attributes = CopyAttributes(uid: 0, gid: 0, mode: mode)
                if let chown {
                    let (uid, gid) = try Self.resolveChown(chown, root: root.path, node: node, run: self)
                    attributes.uid = uid
                    attributes.gid = gid
                }
                for (sourceTree, given, remote) in matched {
                    var copier = TreeCopier(source: sourceTree, attributes: attributes)
                    // A source that is a link is followed (its name is kept).
                    var rel = given
                    if let lst = sourceTree.lstat(given), (lst.st_mode & S_IFMT) == S_IFLNK {
                        guard let target = sourceTree.resolve(given) else {
                            throw self.error(node, .notFound, "\(given) is a link to nothing in \(sourceTree.name).")
                        }
                        rel = target
                    }
                    guard let st = sourceTree.lstat(rel) else { continue }
                    if (st.st_mode & S_IFMT) == S_IFDIR {
                        // Docker: missing parents belong to root; a new destination directory to the --chown user.
                        let existed = root.stat(destination) != nil
                        let dfd = try root.makeDirectories(destination, owner: (0, 0))
                        defer { close(dfd) }
                        if !existed { fchown(dfd, attributes.uid, attributes.gid) }
                        try copier.copyContents(of: rel, into: dfd)
                        continue
                    }
                    if isAdd, !remote, (st.st_mode & S_IFMT) == S_IFREG, Self.isArchive(sourceTree, rel) {
                        let dfd = try root.makeDirectories(destination, owner: (attributes.uid, attributes.gid))
                        defer { close(dfd) }
                        try Self.extract(sourceTree, rel, into: dfd, node: node, run: self)
                        continue
                    }
                    let base = PathCleanHelpers.base(given.isEmpty ? "." : given)
                    let (parent, target): (Int32, String)
                    if destIsDir || (root.stat(destination).map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false) {
                        parent = try root.makeDirectories(destination, owner: (attributes.uid, attributes.gid))
                        target = base
                    } else {
                        parent = try root.makeDirectories(PathClean.dir(destination), owner: (attributes.uid, attributes.gid))
                        target = PathCleanHelpers.base(PathClean.clean(destination))
                    }
                    defer { close(parent) }
                    try copier.copy(rel, st: st, into: parent, as: target)
                }
                for h in inline {
                    let target = destIsDir ? destination + h.name : destination
                    let parent = try root.makeDirectories(PathClean.dir(PathClean.clean(target)), owner: (attributes.uid, attributes.gid))
                    defer { close(parent) }
                    let fname = PathCleanHelpers.base(PathClean.clean(target))
                    unlinkat(parent, fname, 0)
                    let fd = openat(parent, fname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
                    guard fd >= 0 else { throw self.error(node, .io, "Cannot create \(target): \(String(cString: strerror(errno))).") }
                    let bytes = Array(h.content.utf8)
                    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    fchown(fd, attributes.uid, attributes.gid)
                    fchmod(fd, mode ?? 0o644)
                    close(fd)
                }
                _ = ws
            }))
    }

    /// Downloads an ADD URL into a scratch directory, named as Docker names it (the URL's last path element);
    /// mode 0600, modified at the server's Last-Modified (else the epoch).
    func download(_ url: String, node: Node, destinationIsDirectory: Bool) throws(BuildError) -> (SourceTree, String) {
        let path = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        let afterHost = path.split(separator: "/", omittingEmptySubsequences: true).dropFirst(2)
        var filename = afterHost.last.map(String.init) ?? ""
        if filename.isEmpty || filename == "." || filename == ".." {
            guard !destinationIsDirectory else {
                throw error(node, .invalidArgument, "Cannot determine a file name from \(url); give the destination as a file path.")
            }
            filename = "download"
        }
        var template = Array((tmp + "/fetch-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw error(node, .io, "Cannot create a download directory in \(tmp).")
        }
        let dir = String(cString: made)
        let file = dir + "/" + filename
        let result: Download
        do { result = try Fetch.download(url, to: file) } catch {
            FileTree.remove(dir)
            throw self.error(node, .notFound, "ADD could not fetch \(url): \(error.message) Check the URL and the network, or put the file in the build context.")
        }
        var times = [timespec(tv_sec: result.lastModified ?? 0, tv_nsec: 0), timespec(tv_sec: result.lastModified ?? 0, tv_nsec: 0)]
        utimensat(AT_FDCWD, file, &times, 0)
        chmod(file, 0o600)
        return (try SourceTree(root: dir, ignore: nil, name: "the download of \(url)", realOwners: true), filename)
    }

    static func resolveChown(_ spec: String, root: String, node: Node, run: BuildRun) throws(BuildError) -> (UInt32, UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty else { throw run.error(node, .syntax, "--chown needs a user.") }
        let groupPart = parts.count == 2 ? parts[1] : userPart
        let uid: UInt32
        if let n = UInt32(userPart) {
            uid = n
        } else {
            do { uid = try UserResolver.resolve(userPart, layers: [root]).uid } catch {
                throw run.error(node, .notFound, "--chown: " + error.message)
            }
        }
        if let n = UInt32(groupPart) { return (uid, n) }
        let groupFile: [UInt8]?
        do { groupFile = try UserResolver.imageFile("/etc/group", layers: [root]) } catch {
            throw run.error(node, .invalidArgument, "--chown: " + error.message)
        }
        let groups = UserResolver.entries(groupFile)
        if let g = groups.first(where: { $0.count >= 3 && $0[0] == groupPart }), let gid = UInt32(g[2]) { return (uid, gid) }
        if parts.count == 1, let u = try? UserResolver.resolve(userPart, layers: [root]) { return (uid, u.gid) }
        throw run.error(node, .notFound, "--chown: unable to find group \(groupPart) in the image's /etc/group.")
    }

    /// A local file ADD unpacks: a tar, plain or compressed (gzip, bzip2, xz, zstd), recognized by content.
    static func isArchive(_ tree: SourceTree, _ rel: String) -> Bool {
        let fd = tree.open(rel, flags: O_RDONLY | O_NOFOLLOW)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var head = [UInt8](repeating: 0, count: 512)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 512, 0) }
        guard n >= 4 else { return false }
        if head[0] == 0x1f && head[1] == 0x8b { return true }
        if head[0] == 0x42 && head[1] == 0x5a && head[2] == 0x68 { return true }
        if n >= 6, head[0...5] == [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] { return true }
        if head[0...3] == [0x28, 0xb5, 0x2f, 0xfd] { return true }
        if n >= 262, head[257...261] == Array("ustar".utf8)[...] { return true }
        return false
    }

    static func extract(_ tree: SourceTree, _ rel: String, into dirfd: Int32, node: Node, run: BuildRun) throws(BuildError) {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(dirfd)", &buffer, buffer.count - 1)
        guard n > 0 else { throw run.error(node, .io, "Cannot locate the ADD destination.") }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fd = tree.open(rel, flags: O_RDONLY | O_NOFOLLOW)
        guard fd >= 0 else { throw run.error(node, .io, "Cannot read \(rel): \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        do { _ = try LayerExtractor.extract(fd: fd, name: rel, into: target, options: ExtractOptions(whiteouts: .apply)) } catch {
            throw run.error(node, .invalidArgument, "ADD could not unpack \(rel): \(error.message)")
        }
    }
}
