import System

/// A path inside a layer, validated: relative, no `..`, no empty or `.` components.
struct EntryPath: Hashable, Sendable, CustomStringConvertible {
    let components: [String]

    /// Validates an archive entry name (`./etc/x`, `etc/x/`, `etc//x` are fine; `/etc`, `a/../b` are not).
    init(_ raw: String) throws(EstibaError) {
        if raw.hasPrefix("/") { throw EstibaError.unsafe(raw, "absolute paths are not allowed in a layer") }
        var out: [String] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw EstibaError.unsafe(raw, "\"..\" would leave the extraction root") }
            if part.utf8.contains(0) { throw EstibaError.unsafe(raw, "the name contains a NUL byte") }
            out.append(String(part))
        }
        if out.count > FileTree.maxDepth {
            throw EstibaError.unsafe(String(raw.prefix(120)) + "…", "it is nested more than \(FileTree.maxDepth) directories deep")
        }
        components = out
    }

    init(components: [String]) { self.components = components }

    var isRoot: Bool { components.isEmpty }
    var name: String { components.last ?? "" }
    var parent: EntryPath { EntryPath(components: Array(components.dropLast())) }
    var description: String { components.joined(separator: "/") }

    func appending(_ name: String) -> EntryPath { EntryPath(components: components + [name]) }
}
