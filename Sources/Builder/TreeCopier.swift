import System

/// How copied entries are owned and moded.
struct CopyAttributes {
    var uid: UInt32 = 0
    var gid: UInt32 = 0
    /// `--chmod`: replaces the permission bits of every copied entry.
    var mode: UInt32?
    /// Keep each entry's own owner instead of `uid`/`gid` (seeding a volume from an image).
    var preserveOwners = false

    func owner(_ st: FileStatus) -> (userID: UInt32, groupID: UInt32) { preserveOwners ? (st.userID, st.groupID) : (uid, gid) }
}

/// Copies entries of a source tree into a directory of the root, keeping modes (unless `--chmod`) and mtimes,
/// owned by `attributes` (Docker's COPY semantics).
struct TreeCopier {
    let source: SourceTree
    let attributes: CopyAttributes
    /// Bytes of file content copied.
    var bytes: Int64 = 0

    init(source: SourceTree, attributes: CopyAttributes) {
        self.source = source
        self.attributes = attributes
    }

    /// Copies `rel` (of any type, with status `st`) to `name` inside `directory`.
    mutating func copy(_ rel: String, st: FileStatus, into directory: FileDescriptor, as name: String) throws(EstibaError) {
        let existing = try? directory.status(of: name)
        let mergesDirectories = st.kind == .directory && existing?.kind == .directory
        if let existing, !mergesDirectories {
            if existing.kind == .directory {
                throw EstibaError.build(.invalidArgument, "Cannot copy \(rel) over the directory \(name): remove it first, or copy into it with a trailing /.")
            }
            try? directory.removeEntry(name)
        }
        let permissions = attributes.mode ?? st.permissions
        let owner = attributes.owner(st)
        switch st.kind {
        case .directory:
            if !mergesDirectories {
                do { try directory.makeDirectory(name, permissions: 0o700) } catch { throw failure("create directory", name, error) }
            }
            let child: FileDescriptor
            do { child = try directory.open(name, [.directory, .noFollow]) } catch { throw failure("open directory", name, error) }
            try copyContents(of: rel, into: child)
            try? child.setOwner(userID: owner.userID, groupID: owner.groupID)
            try? child.setPermissions(permissions)
            try? child.setTimes(accessed: st.accessed, modified: st.modified)
        case .regular:
            let input: FileDescriptor
            do { input = try source.open(rel, .noFollow) } catch {
                throw EstibaError.build(.io, "Cannot read \(rel) in \(source.name): \(error.reason).")
            }
            let output: FileDescriptor
            do { output = try directory.open(name, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o600) } catch {
                throw failure("create", name, error)
            }
            do { try input.copyData(to: output, count: st.size) } catch { throw EstibaError.build(.io, "Cannot copy \(rel): \(error.message)") }
            bytes += st.size
            try? output.setOwner(userID: owner.userID, groupID: owner.groupID)
            try? output.setPermissions(permissions)
            try? output.setTimes(accessed: st.accessed, modified: st.modified)
        case .symbolicLink:
            do { try directory.makeSymbolicLink(name, to: source.readLink(rel)) } catch { throw failure("create link", name, error) }
            try? directory.setOwner(of: name, userID: owner.userID, groupID: owner.groupID)
            try? directory.setTimes(of: name, accessed: st.accessed, modified: st.modified)
        case .fifo, .characterDevice, .blockDevice, .socket:
            do { try directory.makeNode(name, kind: st.kind, permissions: permissions, device: st.specialDevice) } catch {
                throw failure("create node", name, error)
            }
            try? directory.setOwner(of: name, userID: owner.userID, groupID: owner.groupID)
        case .unknown:
            break
        }
    }

    /// Copies the children of the source directory `rel` into `directory`.
    mutating func copyContents(of rel: String, into directory: FileDescriptor) throws(EstibaError) {
        for name in source.list(rel) {
            let child = rel.isEmpty ? name : rel + "/" + name
            guard let status = source.status(child) else { continue }
            if source.excluded(child) {
                // An ignored directory may still hold re-included entries (`!` patterns).
                guard status.kind == .directory, source.ignore?.hasExclusions ?? false else { continue }
                var any = false
                try source.walk(child, includeSelf: false) { (_, _) throws(EstibaError) in any = true }
                if !any { continue }
            }
            try copy(child, st: status, into: directory, as: name)
        }
    }

    private func failure(_ what: String, _ name: String, _ error: EstibaError) -> EstibaError {
        EstibaError.build(.io, "Cannot \(what) \(name) in the image: \(error.reason).")
    }
}
