import System

/// Reads a file of an image as its container would see it, from the image's overlay lower directories (top
/// first), without mounting them. Paths resolve as openat2's RESOLVE_IN_ROOT does in the merged view: symbolic
/// links and `..` stay inside the container root, a link in one layer may lead to a file of a layer below it,
/// whiteouts (char 0/0) and opaque directories hide what is below them. Nothing outside the layers is touched.
public enum LayerStackFile {
    /// Symbolic links followed in one resolution, as Linux allows.
    static let maximumLinks = 40

    /// The bytes of the regular file at the absolute `path`, or nil when the image has no such file. A file
    /// that is not regular (a device, a FIFO, a directory) or is larger than `limit` bytes is an error.
    public static func read(_ path: String, layers: [String], limit: Int) throws(EstibaError) -> [UInt8]? {
        var dirs: [FileDescriptor] = []
        for dir in layers {
            do { dirs.append(try FileDescriptor.open(dir, .directory)) } catch {
                throw EstibaError.io("Cannot open directory", dir, error)
            }
        }
        guard let (layer, resolved) = try resolve(path, in: dirs) else { return nil }
        let parent = try openParent(resolved, in: dirs[layer])
        let name = resolved.last ?? "."
        // Non-blocking: opening a FIFO must not wait for a writer; it is refused below as not regular.
        let file: FileDescriptor
        do { file = try parent.open(name, [.noFollow, .nonBlocking]) } catch {
            throw EstibaError.io("Cannot open the image's", path, error)
        }
        let status: FileStatus
        do { status = try file.status() } catch { throw EstibaError.io("Cannot inspect the image's", path, error) }
        guard status.kind == .regular else {
            throw EstibaError(
                .invalidArgument, "The image's \(path) is not a regular file; give the image a regular \(path) or use numeric IDs.",
                context: ["path": path])
        }
        let tooLarge = EstibaError(
            .invalidArgument, "The image's \(path) is larger than \(size(limit)); give the image a smaller \(path) or use numeric IDs.",
            context: ["path": path])
        guard status.size <= limit else { throw tooLarge }
        // One byte more than allowed tells a file that grew since its status was taken.
        let bytes: [UInt8]
        do { bytes = try file.readAll(upTo: limit < Int.max ? limit + 1 : limit) } catch {
            throw EstibaError.io("Cannot read the image's", path, error)
        }
        guard bytes.count <= limit else { throw tooLarge }
        return bytes
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
    static func resolve(_ path: String, in layers: [FileDescriptor]) throws(EstibaError) -> (Int, [String])? {
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
                    throw EstibaError(.invalidArgument, "The image's \(path) goes through more than \(maximumLinks) symbolic links; fix the links in the image.", context: ["path": path])
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
    static func lookup(_ components: [String], in layers: [FileDescriptor]) throws(EstibaError) -> Lookup {
        for (index, layer) in layers.enumerated() {
            var dir = layer
            var opaque = false
            var missing = false
            for name in components.dropLast() {
                do { dir = try dir.open(name, [.directory, .noFollow]) } catch {
                    if error.isNotFound {
                        missing = true
                        break
                    }
                    // A symbolic link, file or whiteout here hides everything below it in lower layers.
                    if error.isEscape || error.isNotDirectory { return .absent }
                    throw EstibaError.io("Cannot open a directory of the image in", layer.path ?? "", error)
                }
                if isOpaque(dir) { opaque = true }
            }
            if !missing, let name = components.last, let status = try? dir.status(of: name) {
                switch status.kind {
                case .directory: return .directory
                case .symbolicLink: return .symlink(try readLink(dir, name, layer: layer))
                case .characterDevice where status.specialDevice == 0: return .absent  // whiteout
                default: return .other(layer: index)
                }
            }
            if opaque { return .absent }
        }
        return .absent
    }

    static func isOpaque(_ directory: FileDescriptor) -> Bool {
        (try? directory.extendedAttribute(Overlay.opaqueAttribute)) == Overlay.opaqueValue
    }

    static func readLink(_ directory: FileDescriptor, _ name: String, layer: FileDescriptor) throws(EstibaError) -> String {
        do { return try directory.readLink(name) } catch {
            throw EstibaError.io("Cannot read a symbolic link of the image in", layer.path ?? "", error)
        }
    }

    /// Opens the directory holding the resolved entry in its layer.
    static func openParent(_ components: [String], in layer: FileDescriptor) throws(EstibaError) -> FileDescriptor {
        var dir = layer
        for name in components.dropLast() {
            do { dir = try dir.open(name, [.directory, .noFollow]) } catch {
                throw EstibaError.io("Cannot open a directory of the image in", layer.path ?? "", error)
            }
        }
        return dir
    }
}
