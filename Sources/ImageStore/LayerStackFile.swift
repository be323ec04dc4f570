import CSys
import Glibc

/// Reads a file of an image as its container would see it, from the image's overlay lower directories (top
/// first), without mounting them. Paths resolve as openat2's RESOLVE_IN_ROOT does in the merged view: symbolic
/// links and `..` stay inside the container root, a link in one layer may lead to a file of a layer below it,
/// whiteouts (char 0/0) and opaque directories hide what is below them. Nothing outside the layers is touched.
public enum LayerStackFile {
    /// Symbolic links followed in one resolution, as Linux allows.
    static let maximumLinks = 40

    /// The bytes of the regular file at the absolute `path`, or nil when the image has no such file. A file
    /// that is not regular (a device, a FIFO, a directory) or is larger than `limit` bytes is an error.
    public static func read(_ path: String, layers: [String], limit: Int) throws(StoreError) -> [UInt8]? {
        let dirs = try layers.map { (dir: String) throws(StoreError) -> RootedDirectory in try RootedDirectory(path: dir) }
        guard let (layer, resolved) = try resolve(path, in: dirs) else { return nil }
        let parent = try openParent(resolved, in: dirs[layer])
        defer { close(parent) }
        let name = resolved.last ?? "."
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below as not regular.
        let fd = csys_openat(parent, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0)
        guard fd >= 0 else { throw StoreError.io("Cannot open the image's", path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError.io("Cannot inspect the image's", path, errno: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw StoreError(
                .invalidArgument, "The image's \(path) is not a regular file; give the image a regular \(path) or use numeric IDs.",
                context: ["path": path])
        }
        let tooLarge = StoreError(
            .invalidArgument, "The image's \(path) is larger than \(size(limit)); give the image a smaller \(path) or use numeric IDs.",
            context: ["path": path])
        guard st.st_size <= limit else { throw tooLarge }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw StoreError.io("Cannot read the image's", path, errno: errno) }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
            guard out.count <= limit else { throw tooLarge }
        }
        return out
    }

    static func size(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes) bytes"
    }

    /// What one name is in the merged view.
    enum Lookup {
        case absent
        case directory
        case symlink(String)
        /// Anything else, found in layer `layer`.
        case other(layer: Int)
    }

    /// Resolves `path` in the merged view to (layer index, path components in that layer) of its final entry, or
    /// nil when it does not exist.
    static func resolve(_ path: String, in layers: [RootedDirectory]) throws(StoreError) -> (Int, [String])? {
        var pending = components(path)
        var current: [String] = []
        var links = 0
        while !pending.isEmpty {
            let name = pending.removeFirst()
            if name == "." { continue }
            if name == ".." {
                _ = current.popLast()
                continue
            }
            let candidate = current + [name]
            switch try lookup(candidate, in: layers) {
            case .absent:
                return nil
            case .directory:
                current = candidate
            case .symlink(let target):
                links += 1
                guard links <= maximumLinks else {
                    throw StoreError(.invalidArgument, "The image's \(path) goes through more than \(maximumLinks) symbolic links; fix the links in the image.", context: ["path": path])
                }
                if target.hasPrefix("/") { current = [] }
                pending = components(target) + pending
            case .other(let layer):
                // A file where a directory is needed: no such path, as the kernel would say (ENOTDIR).
                return pending.isEmpty ? (layer, candidate) : nil
            }
        }
        return nil  // the root or a directory: not a file
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    /// Looks `components` (a path without links or dot entries, whose parents are directories in the merged view)
    /// up in the layers, top first.
    static func lookup(_ components: [String], in layers: [RootedDirectory]) throws(StoreError) -> Lookup {
        for (index, layer) in layers.enumerated() {
            var dir = dup(layer.fd)
            guard dir >= 0 else { throw StoreError.io("Cannot duplicate descriptor of", layer.path, errno: errno) }
            defer { close(dir) }
            var opaque = false
            var missing = false
            for name in components.dropLast() {
                let next = csys_openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
                if next < 0 {
                    let e = errno
                    if e == ENOENT {
                        missing = true
                        break
                    }
                    // A symbolic link, file or whiteout here hides everything below it in lower layers.
                    if e == ELOOP || e == ENOTDIR { return .absent }
                    throw StoreError.io("Cannot open a directory of the image in", layer.path, errno: e)
                }
                close(dir)
                dir = next
                if isOpaque(dir) { opaque = true }
            }
            if !missing, let name = components.last, let st = RootedDirectory.lstatAt(dir, name) {
                switch st.st_mode & S_IFMT {
                case S_IFDIR: return .directory
                case S_IFLNK: return .symlink(try readLink(dir, name, layer: layer))
                case S_IFCHR where st.st_rdev == 0: return .absent  // whiteout
                default: return .other(layer: index)
                }
            }
            if opaque { return .absent }
        }
        return .absent
    }

    static func isOpaque(_ dirfd: Int32) -> Bool {
        var value = [UInt8](repeating: 0, count: 4)
        let n = fgetxattr(dirfd, Xattrs.overlayOpaque, &value, value.count)
        return n == 1 && value[0] == UInt8(ascii: "y")
    }

    static func readLink(_ dirfd: Int32, _ name: String, layer: RootedDirectory) throws(StoreError) -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlinkat(dirfd, name, &buffer, buffer.count - 1)
        guard n >= 0 else { throw StoreError.io("Cannot read a symbolic link of the image in", layer.path, errno: errno) }
        return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Opens the directory holding the resolved entry in its layer.
    static func openParent(_ components: [String], in layer: RootedDirectory) throws(StoreError) -> Int32 {
        var dir = dup(layer.fd)
        guard dir >= 0 else { throw StoreError.io("Cannot duplicate descriptor of", layer.path, errno: errno) }
        for name in components.dropLast() {
            let next = csys_openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0)
            let e = errno
            close(dir)
            guard next >= 0 else { throw StoreError.io("Cannot open a directory of the image in", layer.path, errno: e) }
            dir = next
        }
        return dir
    }
}
