import Synchronization
import System

/// What a lease keeps from garbage collection.
public enum LeasedObject: Hashable, Sendable {
    case blob(Digest)
    case snapshot(Digest)
    /// An entry of the store's `tmp/`, by name.
    case scratch(String)

    var line: String {
        switch self {
        case .blob(let d): "blob " + d.hex
        case .snapshot(let d): "snapshot " + d.hex
        case .scratch(let name): "tmp " + name
        }
    }

    init?(line: Substring) {
        let parts = line.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return nil }
        let value = String(parts[1])
        switch parts[0] {
        case "blob": guard let d = Digest(hex: value) else { return nil }; self = .blob(d)
        case "snapshot": guard let d = Digest(hex: value) else { return nil }; self = .snapshot(d)
        case "tmp": guard !value.contains("/"), !value.isEmpty else { return nil }; self = .scratch(value)
        default: return nil
        }
    }
}

/// A live operation's hold on the content it writes or uses (containerd's lease): blobs, snapshots and `tmp/`
/// entries it names are never collected while it lives, even before any image points at them.
///
/// It is the file `leases/<id>`, made on the first hold and locked (flock) by its process for as long as the lease
/// lives; each hold appends one line per object. A lease ends when it is released, or by itself when its process
/// dies (the lock goes with it), which the collector sees by taking the lock. Holds are written while the content
/// lock is held shared, so a collection (which holds it exclusively) sees each hold whole, before or after.
public final class StoreLease: Sendable {
    /// The lease the current task's store work holds on what it writes and uses.
    @TaskLocal public static var current: StoreLease?

    let layout: StoreLayout
    private let state = Mutex<State>(State())

    private struct State: ~Copyable {
        var file: FileDescriptor?
        var path: String?
        var held: Set<LeasedObject> = []
        var released = false
    }

    init(layout: StoreLayout) { self.layout = layout }

    /// Everything this lease has held.
    var objects: Set<LeasedObject> { state.withLock { $0.held } }

    /// Adds `objects` to the lease. Call it with the content lock held (shared or exclusive).
    func hold(_ objects: [LeasedObject]) throws(EstibaError) {
        let layout = self.layout
        let result: Result<Void, EstibaError> = state.withLock { s in
            guard !s.released else { return .failure(EstibaError(.internal, "A released store lease cannot hold more content.")) }
            let fresh = objects.filter { !s.held.contains($0) }
            guard !fresh.isEmpty else { return .success(()) }
            do throws(EstibaError) {
                let file: FileDescriptor
                if let open = s.file {
                    file = open
                } else {
                    let id = "\(Processes.currentID)-" + Self.randomHex()
                    let path = layout.lease(id)
                    let created = try FileDescriptor.open(path, [.writeOnly, .create, .exclusive, .append, .noFollow], permissions: 0o600)
                    guard try created.lock(exclusive: true, wait: false) else {
                        throw EstibaError(.unavailable, "The new lease file \(path) is locked by another process.", context: ["path": path])
                    }
                    s.file = created
                    s.path = path
                    file = created
                }
                try file.writeAll(fresh.map { $0.line + "\n" }.joined())
                s.held.formUnion(fresh)
                return .success(())
            } catch {
                return .failure(EstibaError.storeWrite("a lease", to: layout.root, error))
            }
        }
        try result.get()
    }

    /// Ends the lease: its file goes, and with it every hold.
    func release() {
        state.withLock { s in
            s.released = true
            if let path = s.path { try? Files.remove(path) }
            s.file?.close()
            s.file = nil
        }
    }

    private static func randomHex() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(generator.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The objects the live leases of the store hold; removes the files of leases whose process is gone. Call it
    /// with the content lock held exclusively.
    static func liveObjects(_ layout: StoreLayout) -> Set<LeasedObject> {
        var out: Set<LeasedObject> = []
        for name in StoreFile.names(in: layout.leases) {
            let path = layout.lease(name)
            guard let file = try? FileDescriptor.open(path, [.readOnly, .noFollow]) else { continue }
            if (try? file.lock(exclusive: true, wait: false)) == true {
                // Nobody holds it: its process died without releasing it.
                try? Files.remove(path)
                file.close()
                continue
            }
            let bytes = (try? file.readAll(upTo: 64 << 20)) ?? []
            for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
                if let object = LeasedObject(line: line) { out.insert(object) }
            }
        }
        return out
    }
}
