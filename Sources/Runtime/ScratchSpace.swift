import CSys
import Glibc
import ImageStore

/// A scratch directory of its own under the store's `tmp/` for one piece of work (a build step, filling a new
/// volume). While it lives its lock is held, so the store's prune leaves it alone (and clears it if this process is
/// killed); when it goes, what was mounted in it is unmounted and it is removed.
public final class ScratchSpace {
    public let directory: String
    private var mounted: [String] = []
    private let lock: Int32

    /// Makes `<tmp>/<prefix>-XXXXXX` and takes its lock.
    public init(in tmp: String, prefix: String) throws(RuntimeError) {
        var template = Array((tmp + "/" + prefix + "-XXXXXX").utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ $0.baseAddress.flatMap { mkdtemp($0) } }) else {
            throw RuntimeError("Cannot create a scratch directory in \(tmp): \(String(cString: strerror(errno))).", stage: "scratch directory")
        }
        let directory = String(cString: made)
        do { lock = try ScratchDirectory.claim(directory) } catch {
            FileTree.remove(directory)
            throw RuntimeError(error.message, stage: "scratch directory")
        }
        self.directory = directory
    }

    /// Mounts `overlay` on the directory `name` inside (made when missing); returns its path.
    @discardableResult
    public func mount(_ overlay: OverlayMount, on name: String) throws(RuntimeError) -> String {
        let target = directory + "/" + name
        guard mkdir(target, 0o755) == 0 || errno == EEXIST else {
            throw RuntimeError("Cannot create \(target): \(String(cString: strerror(errno))).", stage: "scratch directory")
        }
        try overlay.mount(on: target)
        mounted.append(target)
        return target
    }

    /// Unmounts what `mount` mounted, last first.
    public func unmountAll() {
        for m in mounted.reversed() { _ = csys_umount(m) }
        mounted.removeAll()
    }

    deinit {
        unmountAll()
        FileTree.remove(directory)
        close(lock)
    }
}
