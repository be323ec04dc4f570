import CSys
import Dockerfile
import Glibc
import ImageStore

/// Where COPY and ADD read from: the build context (filtered by .dockerignore) or another stage's or image's
/// root. Paths are relative to the root; symbolic links resolve inside it.
final class SourceTree {
    let root: String
    let fd: Int32
    let ignore: Dockerignore?
    /// What the user calls this tree in messages ("the build context", "stage builder").
    let name: String
    /// Digests use the files' own owners (a stage's or image's files), not root's (the context, which Docker's
    /// client sends as uid 0).
    let realOwners: Bool

    init(root: String, ignore: Dockerignore?, name: String, realOwners: Bool = false) throws(BuildError) {
        self.root = root
        self.ignore = ignore
        self.name = name
        self.realOwners = realOwners
        fd = Glibc.open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw BuildError(.notFound, "Cannot open \(name) at \(root): \(String(cString: strerror(errno))).")
        }
    }

    deinit { close(fd) }

    func excluded(_ rel: String) -> Bool { ignore?.excludes(rel) ?? false }

    /// `lstat` of a relative path whose parent directories resolve inside the root.
    func lstat(_ rel: String) -> stat? {
        if rel.isEmpty {
            var st = stat()
            return fstat(fd, &st) == 0 ? st : nil
        }
        let parent = PathClean.dir("/" + rel)
        let base = String(rel.split(separator: "/").last ?? "")
        let pfd = csys_open_in_root(fd, parent == "/" ? "." : String(parent.dropFirst()), csys_o_path | O_DIRECTORY | O_CLOEXEC, 0)
        guard pfd >= 0 else { return nil }
        defer { close(pfd) }
        var st = stat()
        return fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 ? st : nil
    }

    /// Opens a relative path, following symbolic links inside the root.
    func open(_ rel: String, flags: Int32) -> Int32 {
        csys_open_in_root(fd, rel.isEmpty ? "." : rel, flags | O_CLOEXEC, 0)
    }

    /// The path `rel` names once every symbolic link in it is followed (inside the root); nil when it leads
    /// nowhere.
    func resolve(_ rel: String) -> String? {
        let f = open(rel, flags: csys_o_path)
        guard f >= 0 else { return nil }
        defer { close(f) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/fd/\(f)", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let full = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let base = root.hasSuffix("/") ? String(root.dropLast()) : root
        if full == base { return "" }
        guard full.hasPrefix(base + "/") else { return nil }
        return String(full.dropFirst(base.count + 1))
    }

    /// Expands one COPY/ADD source (clamped to the root; Go `filepath.Match` wildcards per component) into the
    /// relative paths it names, in order. Ignored files are invisible.
    func expand(_ source: String) throws(BuildError) -> [String] {
        var rel = PathClean.clean("/" + source)
        rel.removeFirst()
        let hasWildcard = rel.contains { $0 == "*" || $0 == "?" || $0 == "[" }
        if !hasWildcard {
            guard lstat(rel) != nil, rel.isEmpty || !excluded(rel) else { return [] }
            return [rel]
        }
        var candidates = [""]
        for component in rel.split(separator: "/").map(String.init) {
            var next: [String] = []
            for dir in candidates {
                let names = list(dir)
                let isPattern = component.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "\\" }
                for n in names where isPattern ? fnmatch(component, n, 0) == 0 : n == component {
                    next.append(dir.isEmpty ? n : dir + "/" + n)
                }
            }
            candidates = next
        }
        return candidates.filter { !excluded($0) }
    }

    /// Names in a directory (relative path), sorted; empty when it is not a directory.
    func list(_ rel: String) -> [String] {
        let dfd = open(rel, flags: O_RDONLY | O_DIRECTORY)
        guard dfd >= 0 else { return [] }
        defer { close(dfd) }
        return FileTree.names(in: dfd)
    }

    /// The target of the symbolic link `rel` (its parent directories resolved inside the root).
    func readLink(_ rel: String) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let parent = rel.split(separator: "/").dropLast().joined(separator: "/")
        let base = String(rel.split(separator: "/").last ?? "")
        let pfd = open(parent, flags: csys_o_path | O_DIRECTORY)
        guard pfd >= 0 else { return "" }
        defer { close(pfd) }
        let n = readlinkat(pfd, base, &buffer, buffer.count - 1)
        guard n > 0 else { return "" }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Every entry under `rel` (itself first when `includeSelf`), depth first in name order, skipping ignored
    /// entries (but descending into ignored directories, whose children a `!` pattern may bring back).
    func walk(_ rel: String, includeSelf: Bool, _ body: (String, stat) throws(BuildError) -> Void) throws(BuildError) {
        guard let st = lstat(rel) else { return }
        if includeSelf, rel.isEmpty || !excluded(rel) { try body(rel, st) }
        guard (st.st_mode & S_IFMT) == S_IFDIR else { return }
        for name in list(rel) {
            let child = rel.isEmpty ? name : rel + "/" + name
            guard let cst = lstat(child) else { continue }
            if (cst.st_mode & S_IFMT) == S_IFDIR {
                if excluded(child), !(ignore?.hasExclusions ?? false) { continue }
                try walk(child, includeSelf: true, body)
            } else if !excluded(child) {
                try body(child, cst)
            }
        }
    }
}
