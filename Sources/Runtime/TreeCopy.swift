import ImageStore
import System

/// Copies a directory's contents into another, entry by entry, keeping each entry's type, owner, mode and times.
/// Nothing is followed: links are copied as links, and the walk descends only into real directories.
struct TreeCopy {
    /// Copies the children of the open directory `source` into the open directory `target`.
    static func contents(of source: FileDescriptor, into target: FileDescriptor, depth: Int = 0) throws(EstibaError) {
        guard depth < FileTree.maxDepth else {
            throw EstibaError.runtime("The image's tree is nested more than \(FileTree.maxDepth) directories deep; it cannot be copied.", stage: "copy")
        }
        for name in (try? source.names()) ?? [] {
            guard let status = try? source.status(of: name) else { continue }
            try entry(name, status, from: source, into: target, depth: depth)
        }
    }

    private static func entry(
        _ name: String, _ status: FileStatus, from source: FileDescriptor, into target: FileDescriptor, depth: Int
    ) throws(EstibaError) {
        switch status.kind {
        case .directory:
            do { try target.makeDirectory(name, permissions: 0o700) } catch {
                guard error.isAlreadyExisting else { throw failure("create the directory", name, error) }
            }
            let from = try open(name, in: source, [.directory, .noFollow], "open the directory")
            let to = try open(name, in: target, [.directory, .noFollow], "open the new directory")
            try contents(of: from, into: to, depth: depth + 1)
            finish(to, status)
        case .regular:
            let from = try open(name, in: source, [.noFollow], "read")
            let to: FileDescriptor
            do { to = try target.open(name, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o600) } catch {
                throw failure("create", name, error)
            }
            do { try from.copyData(to: to, count: status.size) } catch {
                throw EstibaError.runtime("Cannot copy \(name): \(error.message)", stage: "copy")
            }
            finish(to, status)
        case .symbolicLink:
            let text: String
            do { text = try source.readLink(name) } catch { throw failure("read the link", name, error) }
            do { try target.makeSymbolicLink(name, to: text) } catch { throw failure("create the link", name, error) }
            try? target.setOwner(of: name, userID: status.userID, groupID: status.groupID)
            try? target.setTimes(of: name, accessed: status.accessed, modified: status.modified)
        case .fifo, .characterDevice, .blockDevice, .socket:
            do { try target.makeNode(name, kind: status.kind, permissions: status.permissions, device: status.specialDevice) } catch {
                throw failure("create the node", name, error)
            }
            try? target.setOwner(of: name, userID: status.userID, groupID: status.groupID)
        case .unknown:
            break
        }
    }

    private static func open(
        _ name: String, in directory: FileDescriptor, _ options: OpenOptions, _ what: String
    ) throws(EstibaError) -> FileDescriptor {
        do { return try directory.open(name, options) } catch { throw failure(what, name, error) }
    }

    /// Gives an open copy its source's owner, mode and times (the owner first: chown clears set-id bits).
    private static func finish(_ copy: FileDescriptor, _ status: FileStatus) {
        try? copy.setOwner(userID: status.userID, groupID: status.groupID)
        try? copy.setPermissions(status.permissions)
        try? copy.setTimes(accessed: status.accessed, modified: status.modified)
    }

    private static func failure(_ what: String, _ name: String, _ error: EstibaError) -> EstibaError {
        EstibaError.runtime(cannot: "\(what) \(name) while copying", error, stage: "copy")
    }
}
