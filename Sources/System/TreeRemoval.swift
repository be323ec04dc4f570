import CSys
import Glibc

extension FileDescriptor {
    /// Removes `name` in this directory and, for a directory, everything below it (`rm -rf`); a missing name
    /// is fine. Symbolic links are removed, never followed, so nothing outside the tree is touched. One
    /// descriptor at a time is open however deep the tree; moving back up checks that each parent is still
    /// the directory it came from, and stops if the tree was moved meanwhile.
    public func removeTree(_ name: String) throws(EstibaError) {
        guard !name.isEmpty, name != ".", name != "..", !name.contains("/") else {
            throw EstibaError.system(EINVAL, "remove", path: entryPath(name), detail: "give the name of one entry of the directory")
        }
        let top: FileStatus
        do { top = try status(of: name) } catch {
            if error.isNotFound { return }
            throw error
        }
        guard top.kind == .directory else {
            try Self.ignoringMissing { () throws(EstibaError) in try removeEntry(name) }
            return
        }
        var current: FileDescriptor
        do { current = try open(name, [.directory, .noFollow]) } catch {
            // Replaced by something else since the status: not a directory to descend into.
            if error.errorNumber == ENOENT { return }
            if error.errorNumber == ELOOP || error.errorNumber == ENOTDIR { return try removeEntry(name) }
            throw error
        }
        // One frame per directory descended into: the subdirectories still to remove, and how to check the
        // way back up.
        var frames = [TreeFrame(pending: [], nameInParent: [], parent: nil, path: current.path)]
        while let frame = frames.last {
            if frame.pending.isEmpty {
                let subdirectories = try current.removeNonDirectories()
                if !subdirectories.isEmpty {
                    frames[frames.count - 1].pending = subdirectories
                    continue
                }
                frames.removeLast()
                guard let parent = frame.parent else { break }
                let up = try current.open("..", [.directory])
                guard try up.status().isSameFile(as: parent) else {
                    throw EstibaError.system(EBUSY, "remove", path: frame.path, detail: "it was moved while being removed")
                }
                current = FileDescriptor(adopting: up.release(), path: frames.last?.path)
                try Self.ignoringMissing { () throws(EstibaError) in
                    try DirectoryEntry(rawName: frame.nameInParent).withCName { (n) throws(EstibaError) in
                        guard unlinkat(current.rawValue, n, AT_REMOVEDIR) == 0 else { throw .last("remove directory", path: frame.path) }
                    }
                }
                continue
            }
            let child = frames[frames.count - 1].pending.removeLast()
            let here = try current.status()
            let (opened, e) = DirectoryEntry(rawName: child).withCName { n in
                (csys_openat(current.rawValue, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0), errno)
            }
            if opened < 0 {
                if e == ENOENT { continue }
                guard e == ELOOP || e == ENOTDIR else {
                    throw EstibaError.system(e, "open", path: current.entryPath(String(decoding: child, as: UTF8.self)))
                }
                // No longer a directory: remove it as an entry.
                try current.unlinkRaw(child, flags: 0)
                continue
            }
            current = FileDescriptor(adopting: opened, path: current.entryPath(String(decoding: child, as: UTF8.self)))
            frames.append(TreeFrame(pending: [], nameInParent: child, parent: here, path: current.path))
        }
        try Self.ignoringMissing { () throws(EstibaError) in try removeDirectory(name) }
    }

    /// Removes every entry of this directory that is not a directory; returns the names of the subdirectories.
    private func removeNonDirectories() throws(EstibaError) -> [[UInt8]] {
        var subdirectories: [[UInt8]] = []
        for entry in try entries() {
            var kind = entry.kind
            if kind == nil {
                var st = stat()
                let (found, e) = entry.withCName { n in (fstatat(rawValue, n, &st, AT_SYMLINK_NOFOLLOW) == 0, errno) }
                if !found, e == ENOENT { continue }
                kind = found ? FileKind(mode: st.st_mode) : nil
            }
            if kind == .directory {
                subdirectories.append(entry.rawName)
            } else {
                try unlinkRaw(entry.rawName, flags: 0)
            }
        }
        return subdirectories
    }

    private func unlinkRaw(_ name: [UInt8], flags: Int32) throws(EstibaError) {
        try DirectoryEntry(rawName: name).withCName { (n) throws(EstibaError) in
            guard unlinkat(rawValue, n, flags) == 0 || errno == ENOENT else {
                throw .last("remove", path: entryPath(String(decoding: name, as: UTF8.self)))
            }
        }
    }

    private static func ignoringMissing(_ body: () throws(EstibaError) -> Void) throws(EstibaError) {
        do { try body() } catch {
            if !error.isNotFound { throw error }
        }
    }
}

/// A directory being emptied by `removeTree`.
private struct TreeFrame {
    var pending: [[UInt8]]
    /// Its name in its parent (empty for the top).
    var nameInParent: [UInt8]
    /// The parent's status, to recognize it on the way back up (nil for the top).
    var parent: FileStatus?
    /// For messages.
    var path: String?
}
