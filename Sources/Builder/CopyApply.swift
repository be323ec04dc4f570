import Dockerfile
import ImageStore
import Runtime
import System

extension BuildRun {
    /// Copies the sources into the step's root as planned, owned by `--chown` (else root) with `--chmod`.
    func applyCopy(_ plan: CopyPlan, _ sources: CopySources, root: RootFS, node: Node) throws(EstibaError) {
        var attributes = CopyAttributes(uid: 0, gid: 0, mode: plan.mode)
        if let chown = plan.chown {
            (attributes.uid, attributes.gid) = try resolveChown(chown, root: root.path, node: node)
        }
        for source in sources.items { try copySource(source, plan, attributes, root: root, node: node) }
        for h in sources.heredocs { try writeHeredoc(h, plan, attributes, root: root, node: node) }
    }

    /// One source: a directory by its contents, a local archive unpacked (ADD), a file or link (followed) by name.
    func copySource(_ source: CopySource, _ plan: CopyPlan, _ attributes: CopyAttributes, root: RootFS, node: Node) throws(EstibaError) {
        let destination = plan.destination
        let sourceTree = source.tree
        let given = source.path
        var copier = TreeCopier(source: sourceTree, attributes: attributes)
        // A source that is a link is followed (its name is kept).
        var rel = given
        if sourceTree.status(given)?.kind == .symbolicLink {
            guard let target = sourceTree.resolve(given) else {
                throw error(node, .notFound, "\(given) is a link to nothing in \(sourceTree.name).")
            }
            rel = target
        }
        guard let st = sourceTree.status(rel) else { return }
        if st.kind == .directory {
            // Docker: missing parents belong to root; a new destination directory to the --chown user.
            let existed = root.status(destination) != nil
            let directory = try root.makeDirectories(destination, owner: (0, 0))
            if !existed { try? directory.setOwner(userID: attributes.uid, groupID: attributes.gid) }
            try copier.copyContents(of: rel, into: directory)
            return
        }
        if plan.add, source.url == nil, st.kind == .regular, Self.isArchive(sourceTree, rel) {
            let directory = try root.makeDirectories(destination, owner: (attributes.uid, attributes.gid))
            try extract(sourceTree, rel, into: directory, node: node)
            return
        }
        let base = PathCleanHelpers.base(given.isEmpty ? "." : given)
        let (parent, target): (FileDescriptor, String)
        if plan.destinationIsDirectory || root.status(destination)?.kind == .directory {
            parent = try root.makeDirectories(destination, owner: (attributes.uid, attributes.gid))
            target = base
        } else {
            parent = try root.makeDirectories(PathClean.dir(destination), owner: (attributes.uid, attributes.gid))
            target = PathCleanHelpers.base(PathClean.clean(destination))
        }
        try copier.copy(rel, st: st, into: parent, as: target)
    }

    /// A here-document: a new file named after its delimiter (in a destination directory) or the destination.
    func writeHeredoc(_ h: Heredoc, _ plan: CopyPlan, _ attributes: CopyAttributes, root: RootFS, node: Node) throws(EstibaError) {
        let target = plan.destinationIsDirectory ? plan.destination + h.name : plan.destination
        let parent = try root.makeDirectories(PathClean.dir(PathClean.clean(target)), owner: (attributes.uid, attributes.gid))
        let fname = PathCleanHelpers.base(PathClean.clean(target))
        try? parent.removeEntry(fname)
        let file: FileDescriptor
        do { file = try parent.open(fname, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o644) } catch {
            throw self.error(node, .io, "Cannot create \(target): \(error.reason).")
        }
        do { try file.writeAll(h.content) } catch {
            throw self.error(node, .io, "Cannot write \(target): \(error.reason).")
        }
        try? file.setOwner(userID: attributes.uid, groupID: attributes.gid)
        try? file.setPermissions(plan.mode ?? 0o644)
    }

    /// `--chown=user[:group]`: names are looked up in the image's /etc/passwd and /etc/group.
    func resolveChown(_ spec: String, root: String, node: Node) throws(EstibaError) -> (UInt32, UInt32) {
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
        guard let file = try? tree.open(rel, .noFollow) else { return false }
        var head = [UInt8](repeating: 0, count: 512)
        guard let n = try? head.withUnsafeMutableBytes({ raw throws(EstibaError) in try file.read(into: raw, at: 0) }), n >= 4 else {
            return false
        }
        if head[0] == 0x1f && head[1] == 0x8b { return true }
        if head[0] == 0x42 && head[1] == 0x5a && head[2] == 0x68 { return true }
        if n >= 6, head[0...5] == [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] { return true }
        if head[0...3] == [0x28, 0xb5, 0x2f, 0xfd] { return true }
        if n >= 262, head[257...261] == Array("ustar".utf8)[...] { return true }
        return false
    }

    func extract(_ tree: SourceTree, _ rel: String, into directory: FileDescriptor, node: Node) throws(EstibaError) {
        guard let target = try? directory.resolvedPath() else { throw error(node, .io, "Cannot locate the ADD destination.") }
        let archive: FileDescriptor
        do { archive = try tree.open(rel, .noFollow) } catch {
            throw self.error(node, .io, "Cannot read \(rel): \(error.reason).")
        }
        // The extractor reads the descriptor by number: keep it open until it is done.
        defer { archive.close() }
        do { _ = try LayerExtractor.extract(fd: archive.rawValue, name: rel, into: target, options: ExtractOptions(whiteouts: .apply)) } catch {
            throw self.error(node, .invalidArgument, "ADD could not unpack \(rel): \(error.message)")
        }
    }
}
