import Foundation
import Glibc
import Synchronization
import Testing

/// What a store holds that nothing reaches: blobs and snapshots no image, container or build cache record names,
/// entries left in `tmp/`, and lease files. Computed independently of the engine, from the files themselves.
struct StoreLeftovers: Equatable, CustomStringConvertible {
    var blobs: [String] = []
    var snapshots: [String] = []
    var tmp: [String] = []
    var leases: [String] = []

    var isEmpty: Bool { blobs.isEmpty && snapshots.isEmpty && tmp.isEmpty && leases.isEmpty }
    var count: Int { blobs.count + snapshots.count + tmp.count + leases.count }
    var description: String { "blobs \(blobs), snapshots \(snapshots), tmp \(tmp), leases \(leases)" }

    /// Reads the store at `root`.
    static func of(_ root: String) throws -> StoreLeftovers {
        let out = try python3(script, [root])
        let v = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: [String]] ?? [:]
        return StoreLeftovers(blobs: v["blobs"] ?? [], snapshots: v["snapshots"] ?? [], tmp: v["tmp"] ?? [], leases: v["leases"] ?? [])
    }

    /// The roots: index.json's manifests, the build cache's records, the containers' images and mounted
    /// snapshots, and the images those were built from; each manifest keeps its config and layers, each config its
    /// layers' chain IDs.
    static let script = #"""
import hashlib, json, os, sys
root = sys.argv[1]
blobs = os.path.join(root, "oci/blobs/sha256")
def hexof(d): return d.split(":", 1)[1]
def load(h):
    with open(os.path.join(blobs, h)) as f: return json.load(f)
def names(d): return sorted(os.listdir(d)) if os.path.isdir(d) else []
live, snaps, manifests, images = set(), set(), set(), set()
for m in json.load(open(os.path.join(root, "oci/index.json"))).get("manifests", []): manifests.add(hexof(m["digest"]))
for n in names(os.path.join(root, "build-cache/records")):
    try: manifests.add(hexof(json.load(open(os.path.join(root, "build-cache/records", n)))["manifest"]))
    except Exception: pass
for n in names(os.path.join(root, "containers")):
    try: r = json.load(open(os.path.join(root, "containers", n, "record.json")))
    except Exception: continue
    images.add(hexof(r["imageID"]))
    for d in r.get("lowerDirectories", []): snaps.add(d.rstrip("/").split("/")[-2])
def image(h):
    if not os.path.exists(os.path.join(blobs, h)): return
    live.add(h)
    diff = [hexof(d) for d in load(h).get("rootfs", {}).get("diff_ids", [])]
    live.update(diff)
    chain = None
    for d in diff:
        chain = d if chain is None else hashlib.sha256(("sha256:" + chain + " sha256:" + d).encode()).hexdigest()
        snaps.add(chain)
for m in manifests:
    if not os.path.exists(os.path.join(blobs, m)): continue
    live.add(m)
    man = load(m)
    live.update(hexof(l["digest"]) for l in man.get("layers", []))
    image(hexof(man["config"]["digest"]))
for i in images: image(i)
# Every listed or used image's build history: the images its steps were built on.
ancestors = set()
for i in list(images) + [hexof(load(m)["config"]["digest"]) for m in manifests if os.path.exists(os.path.join(blobs, m))]:
    seen = i
    while True:
        try: parent = os.readlink(os.path.join(root, "build-cache/images", seen))
        except OSError: break
        if not parent.startswith("sha256:") or hexof(parent) in ancestors: break
        seen = hexof(parent)
        ancestors.add(seen)
for i in ancestors: image(i)
images |= ancestors
# The manifest the store writes for an image kept by ID (a container's, a history's), kept with it.
def kept_manifest(b):
    path = os.path.join(blobs, b)
    if os.path.getsize(path) > 65536: return False
    try: return hexof(load(b)["config"]["digest"]) in images
    except Exception: return False
print(json.dumps({
    "blobs": [b for b in names(blobs) if b not in live and not kept_manifest(b)],
    "snapshots": [s for s in names(os.path.join(root, "snapshots")) if s not in snaps],
    "tmp": names(os.path.join(root, "tmp")),
    "leases": names(os.path.join(root, "leases")),
}))
"""#
}

/// A store with the busybox image, for the collection tests (on a tmpfs of its own when asked); `remove` takes
/// it away (and unmounts the tmpfs).
struct CollectionStore {
    let cli: RuntimeTests.CLI
    /// The directory holding the store, the busybox root filesystem and build contexts.
    let base: String
    var mounted = false
    var root: String { cli.root }

    static func make(tmpfsMegabytes: Int? = nil) throws -> CollectionStore? {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("store collection tests need root and busybox-static") }
            return nil
        }
        let base = try Paths.temporaryDirectory().path
        let rootfs = base + "/rootfs"
        for d in ["/bin", "/etc", "/tmp"] { try FileManager.default.createDirectory(atPath: rootfs + d, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "cat", "echo", "head", "wc", "true", "ls"] { symlink("busybox", rootfs + "/bin/" + applet) }
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
        try "root:x:0:\n".write(toFile: rootfs + "/etc/group", atomically: true, encoding: .utf8)
        var store = CollectionStore(cli: RuntimeTests.CLI(root: base + "/store"), base: base)
        if let size = tmpfsMegabytes {
            try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
            let m = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)m,mode=0700", "tmpfs", store.root])
            #expect(m.status == 0, "\(m.output)")
            store.mounted = m.status == 0
        }
        let imported = try store.run(["import", "-c", "CMD [\"sh\"]", "-c", "ENV PATH=/bin", rootfs, "busybox:latest"])
        #expect(imported.status == 0, "\(imported.output)")
        return store
    }

    @discardableResult
    func run(_ args: [String]) throws -> (status: Int32, output: String) { try cli.run(args) }

    /// `system verify` passes.
    func verified() throws -> Bool { try run(["system", "verify"]).status == 0 }

    func remove() {
        if mounted { _ = try? runProgram("/bin/umount", [root]) }
        try? FileManager.default.removeItem(atPath: base)
    }

    /// A build context with `dockerfile` (and a file `f` to copy).
    func context(_ name: String, _ dockerfile: String) throws -> String {
        let dir = base + "/" + name
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try dockerfile.write(toFile: dir + "/Dockerfile", atomically: true, encoding: .utf8)
        try "copied\n".write(toFile: dir + "/f", atomically: true, encoding: .utf8)
        return dir
    }
}

/// Whether the long versions of the fault and concurrency tests run (`ESTIBA_SLOW_TESTS=1`).
var slowTests: Bool { ProcessInfo.processInfo.environment["ESTIBA_SLOW_TESTS"] == "1" }

/// A small seeded generator (SplitMix64): the same seed gives the same kill points.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Starts `estiba` with `args`, waits `delay` seconds (or until it ends), then kills it with SIGKILL; true when it
/// was killed before it ended.
func killedRun(_ args: [String], after delay: Double) throws -> Bool {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: Paths.estiba)
    p.arguments = args
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(delay)
    while p.isRunning, Date() < deadline { usleep(2000) }
    let killed = p.isRunning
    if killed { kill(p.processIdentifier, SIGKILL) }
    p.waitUntilExit()
    return killed
}

/// Runs `body` and returns how many seconds it took.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = Date()
    try body()
    return Date().timeIntervalSince(start)
}
