import Dockerfile
import System

/// Writes into a container root being built (a mounted overlay). Every path resolves inside the root, as if it
/// were `/` (symbolic links included), so nothing a Dockerfile or an image contains can write outside it.
final class RootFS {
    let directory: RootedDirectory

    init(path: String) throws(EstibaError) {
        do { directory = try RootedDirectory(path: path, resolution: .inRoot) } catch {
            throw EstibaError.build(.io, "Cannot open the build root \(path): \(error.reason).")
        }
    }

    /// The root's path on the host.
    var path: String { directory.path }

    /// An image path, cleaned as Docker cleans it, relative to the root ("." for the root itself).
    static func relative(_ absolute: String) -> String {
        var p = PathClean.clean("/" + absolute)
        p.removeFirst()
        return p.isEmpty ? "." : p
    }

    /// The status of what `absolute` leads to, following links inside the root; nil when it leads nowhere.
    func status(_ absolute: String) -> FileStatus? {
        try? directory.status(Self.relative(absolute), followLinks: true)
    }

    /// `mkdir -p` inside the root; new directories get mode 0755 and `owner`. Returns the directory, open.
    func makeDirectories(_ absolute: String, owner: (uid: UInt32, gid: UInt32)) throws(EstibaError) -> FileDescriptor {
        do {
            return try directory.openDirectory(Self.relative(absolute), create: true, permissions: 0o755, owner: (owner.uid, owner.gid))
        } catch {
            throw EstibaError.build(.io, "Cannot create directory \(PathClean.clean("/" + absolute)): \(error.reason).")
        }
    }
}
