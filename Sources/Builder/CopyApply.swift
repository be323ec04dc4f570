import Dockerfile
import Glibc
import ImageStore
import Runtime

extension BuildRun {
    /// Copies the sources into the step's root as planned, owned by `--chown` (else root) with `--chmod`.
    func applyCopy(_ plan: CopyPlan, _ sources: CopySources, root: RootFS, node: Node) throws(BuildError) {
        var attributes = CopyAttributes(uid: 0, gid: 0, mode: plan.mode)
        if let chown = plan.chown {
            (attributes.uid, attributes.gid) = try resolveChown(chown, root: root.path, node: node)
        }
        for source in sources.items { try copySource(source, plan, attributes, root: root, node: node) }
        for h in sources.heredocs { try writeHeredoc(h, plan, attributes, root: root, node: node) }
    }

    /// One source: a directory by its contents, a local archive unpacked (ADD), a file or link (followed) by name.
    func copySource(_ source: CopySource, _ plan: CopyPlan, _ attributes: CopyAttributes, root: RootFS, node: Node) throws(BuildError) {
        let destination = plan.destination
        let sourceTree = source.tree
        let given = source.path
        var copier = TreeCopier(source: sourceTree, attributes: attributes)
        // A source that is a link is followed (its name is kept).
        var rel = given
        if let lst = sourceTree.lstat(given), (lst.st_mode & S_IFMT) == S_IFLNK {
            guard let target = sourceTree.resolve(given) else {
                throw error(node, .notFound, "\(given) is a link to nothing in \(sourceTree.name).")
            }
            rel = target
        }
        guard let st = sourceTree.lstat(rel) else { return }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            // Docker: missing parents belong to root; a new destination directory to the --chown user.
            let existed = root.stat(destination) != nil
            let dfd = try root.makeDirectories(destination, owner: (0, 0))
            defer { close(dfd) }
            if !existed { fchown(dfd, attributes.uid, attributes.gid) }
            try copier.copyContents(of: rel, into: dfd)
            return
        }
        if plan.add, source.url == nil, (st.st_mode & S_IFMT) == S_IFREG, Self.isArchive(sourceTree, rel) {
            let dfd = try root.makeDirectories(destination, owner: (attributes.uid, attributes.gid))
            defer { close(dfd) }
            try extract(sourceTree, rel, into: dfd, node: node)
            return
        }
        let base = PathCleanHelpers.base(given.isEmpty ? "." : given)
        let (parent, target): (Int32, String)
        if plan.destinationIsDirectory || (root.stat(destination).map { ($0.st_mode & S_IFMT) == S_IFDIR } ?? false) {
            parent = try root.makeDirectories(destination, owner: (attributes.uid, attributes.gid))
            target = base
        } else {
            parent = try root.makeDirectories(PathClean.dir(destination), owner: (attributes.uid, attributes.gid))
            target = PathCleanHelpers.base(PathClean.clean(destination))
        }
        defer { close(parent) }
        try copier.copy(rel, st: st, into: parent, as: target)
    }

    /// A here-document: a new file named after its delimiter (in a destination directory) or the destination.
    func writeHeredoc(_ h: Heredoc, _ plan: CopyPlan, _ attributes: CopyAttributes, root: RootFS, node: Node) throws(BuildError) {
        let target = plan.destinationIsDirectory ? plan.destination + h.name : plan.destination
        let parent = try root.makeDirectories(PathClean.dir(PathClean.clean(target)), owner: (attributes.uid, attributes.gid))
        defer { close(parent) }
        let fname = PathCleanHelpers.base(PathClean.clean(target))
        unlinkat(parent, fname, 0)
        let fd = openat(parent, fname, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw error(node, .io, "Cannot create \(target): \(String(cString: strerror(errno))).") }
        let bytes = Array(h.content.utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fchown(fd, attributes.uid, attributes.gid)
        fchmod(fd, plan.mode ?? 0o644)
        close(fd)
    }

    /// `--chown=user[:group]`: names are looked up in the image's /etc/passwd and /etc/group.
    func resolveChown(_ spec: String, root: String, node: Node) throws(BuildError) -> (UInt32, UInt32) {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let userPart = parts.first, !userPart.isEmpty else { throw error(node, .syntax, "--chown needs a user.") }
        let groupPart = parts.count == 2 ? parts[1] : userPart
        let uid: UInt32
        if let n = UInt32(userPart) {
            uid = n
        } else {
            do { uid = try UserResolver.resolve(userPart, layers: [root]).uid } catch {
                throw self.error(node, .notFound, "--chown: " + error.message)
            }
        }
        if let n = UInt32(groupPart) { return (uid, n) }
        let groupFile: [UInt8]?
        do { groupFile = try UserResolver.imageFile("/etc/group", layers: [root]) } catch {
            throw self.error(node, .invalidArgument, "--chown: " + error.message)
        }
        let groups = UserResolver.entries(groupFile)
        if let g = groups.first(where: { $0.count >= 3 && $0[0] == groupPart }), let gid = UInt32(g[2]) { return (uid, gid) }
        if parts.count == 1, let u = try? UserResolver.resolve(userPart, layers: [root]) { return (uid, u.gid) }
        throw error(node, .notFound, "--chown: unable to find group \(groupPart) in the image's /etc/group.")
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

    func extract(_ tree: SourceTree, _ rel: String, into dirfd: Int32, node: Node) throws(BuildError) {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(dirfd)", &buffer, buffer.count - 1)
        guard n > 0 else { throw error(node, .io, "Cannot locate the ADD destination.") }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let fd = tree.open(rel, flags: O_RDONLY | O_NOFOLLOW)
        guard fd >= 0 else { throw error(node, .io, "Cannot read \(rel): \(String(cString: strerror(errno))).") }
        defer { close(fd) }
        do { _ = try LayerExtractor.extract(fd: fd, name: rel, into: target, options: ExtractOptions(whiteouts: .apply)) } catch {
            throw self.error(node, .invalidArgument, "ADD could not unpack \(rel): \(error.message)")
        }
    }
}
