import Dockerfile
import System

/// Where COPY and ADD read from: the build context (filtered by .dockerignore) or another stage's or image's
/// root. Paths are relative to the root; symbolic links resolve inside it.
final class SourceTree {
    let root: String
    let directory: RootedDirectory
    let ignore: Dockerignore?
    /// What the user calls this tree in messages ("the build context", "stage builder").
    let name: String
    /// Digests use the files' own owners (a stage's or image's files), not root's (the context, which Docker's
    /// client sends as uid 0).
    let realOwners: Bool

    init(root: String, ignore: Dockerignore?, name: String, realOwners: Bool = false) throws(EstibaError) {
        self.root = root
        self.ignore = ignore
        self.name = name
        self.realOwners = realOwners
        do { directory = try RootedDirectory(path: root, resolution: .inRoot) } catch {
            throw EstibaError.build(.notFound, "Cannot open \(name) at \(root): \(error.reason).")
        }
    }

    func excluded(_ rel: String) -> Bool { ignore?.excludes(rel) ?? false }

    /// The status of the entry `rel` itself (a final symbolic link is not followed; the directories above it
    /// resolve inside the root); nil when there is none.
    func status(_ rel: String) -> FileStatus? { try? directory.status(rel) }

    /// Opens a relative path, following symbolic links inside the root (unless `.noFollow` for the last one).
    func open(_ rel: String, _ options: OpenOptions = .readOnly) throws(EstibaError) -> FileDescriptor {
        try directory.open(rel, options)
    }

    /// The path `rel` names once every symbolic link in it is followed (inside the root); nil when it leads
    /// nowhere.
    func resolve(_ rel: String) -> String? { try? directory.resolvedPath(of: rel) }

    /// Expands one COPY/ADD source (clamped to the root; Go `filepath.Match` wildcards per component) into the
    /// relative paths it names, in order. Ignored files are invisible.
    func expand(_ source: String) throws(EstibaError) -> [String] {
        var rel = PathClean.clean("/" + source)
        rel.removeFirst()
        let hasWildcard = rel.contains { $0 == "*" || $0 == "?" || $0 == "[" }
        if !hasWildcard {
            guard status(rel) != nil, rel.isEmpty || !excluded(rel) else { return [] }
            return [rel]
        }
        var candidates = [""]
        for component in rel.split(separator: "/").map(String.init) {
            var next: [String] = []
            for dir in candidates {
                let names = list(dir)
                let isPattern = component.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "\\" }
                for n in names where isPattern ? FileNamePattern.matches(component, n) : n == component {
                    next.append(dir.isEmpty ? n : dir + "/" + n)
                }
            }
            candidates = next
        }
        return candidates.filter { !excluded($0) }
    }

    /// Names in a directory (relative path), sorted; empty when it is not a directory.
    func list(_ rel: String) -> [String] { (try? directory.open(rel, .directory).names()) ?? [] }

    /// The target of the symbolic link `rel` (its parent directories resolved inside the root); empty when it
    /// cannot be read.
    func readLink(_ rel: String) -> String { (try? directory.readLink(rel)) ?? "" }

    /// Every entry under `rel` (itself first when `includeSelf`), depth first in name order, skipping ignored
    /// entries (but descending into ignored directories, whose children a `!` pattern may bring back).
    func walk(_ rel: String, includeSelf: Bool, _ body: (String, FileStatus) throws(EstibaError) -> Void) throws(EstibaError) {
        guard let st = status(rel) else { return }
        if includeSelf, rel.isEmpty || !excluded(rel) { try body(rel, st) }
        guard st.kind == .directory else { return }
        for name in list(rel) {
            let child = rel.isEmpty ? name : rel + "/" + name
            guard let cst = status(child) else { continue }
            if cst.kind == .directory {
                if excluded(child), !(ignore?.hasExclusions ?? false) { continue }
                try walk(child, includeSelf: true, body)
            } else if !excluded(child) {
                try body(child, cst)
            }
        }
    }
}
