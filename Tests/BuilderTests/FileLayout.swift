import System

/// A scratch directory laid out for a test: directories, files and links by path relative to it. The caller
/// removes it.
struct FileLayout {
    let path: String

    init(_ tag: String, directories: [String] = [], files: [String: [UInt8]] = [:]) throws {
        path = try scratchDirectory(tag)
        for d in directories { try Files.makeDirectories(at(d)) }
        for (name, bytes) in files {
            if let slash = name.lastIndex(of: "/") { try Files.makeDirectories(at(String(name[..<slash]))) }
            try Files.write(bytes, to: at(name))
        }
    }

    /// The absolute path of `relative`.
    func at(_ relative: String) -> String { path + "/" + relative }

    /// Makes each link (relative path → its target).
    func link(_ links: [String: String]) throws {
        for (name, target) in links { try Files.makeSymbolicLink(at(name), to: target) }
    }

    func remove() { removeTree(path) }
}
