import ImageStore
import System

/// A scratch directory of its own under the store's `tmp/` for one piece of work (a build step, filling a new
/// volume). While it lives its lock is held, so the store's prune leaves it alone (and clears it if this process is
/// killed); when it goes, what was mounted in it is unmounted and it is removed.
public final class ScratchSpace {
    public let directory: String
    private var mounted: [String] = []
    /// The open lock file (`ScratchDirectory.lockName` inside), locked while this lives.
    private let lock: FileDescriptor

    /// Makes `<tmp>/<prefix>-XXXXXX` and takes its lock.
    public init(in tmp: String, prefix: String) throws(EstibaError) {
        let directory: String
        do { directory = try Files.makeTemporaryDirectory(in: tmp, prefix: prefix + "-") } catch {
            throw EstibaError.runtime(cannot: "create a scratch directory in \(tmp)", error, stage: "scratch directory")
        }
        do throws(EstibaError) {
            let file = try FileDescriptor.open(
                directory + "/" + ScratchDirectory.lockName, [.readWrite, .create, .exclusive, .noFollow], permissions: 0o600)
            guard try file.lock(exclusive: true, wait: false) else {
                throw EstibaError.system(ErrorNumber.busy, "lock", path: file.path, detail: "another process holds it")
            }
            lock = file
        } catch {
            try? Files.removeTree(directory)
            throw error.recoded(.launchFailed).adding(["stage": "scratch directory"])
        }
        self.directory = directory
    }

    /// Mounts `overlay` on the directory `name` inside (made when missing); returns its path.
    @discardableResult
    public func mount(_ overlay: OverlayMount, on name: String) throws(EstibaError) -> String {
        let target = directory + "/" + name
        do { try Files.makeDirectory(target) } catch {
            guard error.isAlreadyExisting else { throw EstibaError.runtime(cannot: "create \(target)", error, stage: "scratch directory") }
        }
        try overlay.mount(on: target)
        mounted.append(target)
        return target
    }

    /// Unmounts what `mount` mounted, last first.
    public func unmountAll() {
        for m in mounted.reversed() { try? Mounts.detach(m) }
        mounted.removeAll()
    }

    deinit {
        unmountAll()
        try? Files.removeTree(directory)
        lock.close()
    }
}
