import Foundation
import Glibc
import Synchronization
import Testing

/// Garbage collection with leases, as users drive it: nothing in use is ever deleted (by `rmi`, `rmi -f` or
/// `system prune`, beside any other work), nothing a killed or failed operation wrote is left behind, and a full
/// disk is named.
@Suite(.serialized) struct StoreCollectionTests {
    @Test func pruneAndRmiBesideBuildsImportsLoadsAndCommitsBreakNothing() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        let rootfs = store.base + "/rootfs"
        let archive = store.base + "/busybox.tar"
        #expect(try store.run(["save", "-o", archive, "busybox"]).status == 0)
        #expect(try store.run(["run", "--name", "c1", "busybox", "sh", "-c", "head -c 300000 /dev/urandom > /x"]).status == 0)
        let ctx = try store.context("ctx", """
            FROM busybox
            RUN head -c 500000 /dev/urandom > /a && sleep 0.2
            COPY f /f
            RUN sleep 0.2 && cat /a /f > /b
            RUN sleep 0.2 && cat /b > /c
            """)
        let rounds = slowTests ? 40 : 8
        let operations: [(String, @Sendable (Int) -> [String])] = [
            ("build", { i in ["build", "--no-cache", "-q", "-t", "b:\(i)", ctx] }),
            ("import", { i in ["import", rootfs, "imp:\(i)"] }),
            ("load", { _ in ["load", "-i", archive] }),
            ("commit", { i in ["commit", "c1", "com:\(i)"] }),
        ]
        let failures = Mutex<[String]>([])
        let done = Atomic<Int>(0)
        let collections = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: operations.count + 1) { worker in
            if worker == operations.count {
                // Collect in a loop until every operation is done: prune, and rmi of an unrelated image.
                while done.load(ordering: .acquiring) < operations.count {
                    _ = try? store.run(["system", "prune"])
                    _ = try? store.run(["import", rootfs, "other:1"])
                    _ = try? store.run(["rmi", "other:1"])
                    collections.add(1, ordering: .relaxed)
                }
                return
            }
            let (name, args) = operations[worker]
            for i in 0..<rounds {
                let r: (status: Int32, output: String) = (try? store.run(args(i))) ?? (-1, "could not start")
                if r.status != 0 { failures.withLock { $0.append("\(name) \(i): \(r.output)") } }
            }
            done.add(1, ordering: .releasing)
        }
        let failed = failures.withLock { $0 }
        print("beside \(collections.load(ordering: .relaxed)) collection rounds (prune, import, rmi): \(failed.count) of \(rounds * operations.count) operations failed")
        #expect(failed.isEmpty, "\(failed.count) of \(rounds * operations.count) operations failed beside \(collections.load(ordering: .relaxed)) collections: \(failed)")
        #expect(try store.verified())
        #expect(try store.run(["system", "prune"]).status == 0)
        let left = try StoreLeftovers.of(store.root)
        #expect(left.isEmpty, "\(left)")
        #expect(try store.verified())
        // The images built and committed last still run.
        #expect(try store.run(["run", "--rm", "b:\(rounds - 1)", "cat", "/f"]).output == "copied\n")
        #expect(try store.run(["run", "--rm", "com:\(rounds - 1)", "sh", "-c", "wc -c < /x"]).output.contains("300000"))
    }

    @Test func cachedStepImagesSurviveAnUnrelatedRmiAndAnOldImagesRemoval() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        let steps = (0..<16).map { i in i % 2 == 0 ? "RUN echo \(i) > /f\(i)" : "ENV V\(i)=\(i)" }
        let ctx = try store.context("ctx", "FROM busybox\n" + steps.joined(separator: "\n") + "\n")
        func cachedSteps(_ r: (status: Int32, output: String)) -> Int {
            r.output.components(separatedBy: " ---> Using cache").count - 1
        }
        #expect(try store.run(["build", "-t", "b:1", ctx]).status == 0)
        #expect(try store.run(["import", store.base + "/rootfs", "other:1"]).status == 0)
        #expect(try store.run(["rmi", "other:1"]).status == 0)
        let again = try store.run(["build", "-t", "b:1", ctx])
        #expect(again.status == 0 && cachedSteps(again) == 16, "\(cachedSteps(again)) of 16 steps cached: \(again.output)")

        // A rebuild with a changed last step leaves the old image untagged; removing it keeps what the current
        // image's cache and history name.
        let old = try store.run(["inspect", "-f", "{{.Id}}", "b:1"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let changed = steps.dropLast() + ["ENV V15=changed"]
        try ("FROM busybox\n" + changed.joined(separator: "\n") + "\n").write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        #expect(try store.run(["build", "-t", "b:1", ctx]).status == 0)
        #expect(try store.run(["rmi", old]).status == 0)
        let ids = try store.run(["history", "--no-trunc", "-q", "b:1"]).output.split(separator: "\n").map(String.init)
        #expect(ids.count == 17)
        for id in ids where id != "<missing>" {
            #expect(FileManager.default.fileExists(atPath: store.root + "/oci/blobs/sha256/" + id.dropFirst(7)), "history lists \(id), which is gone")
        }
        #expect(ids.filter { $0 == "<missing>" }.isEmpty, "\(ids)")
        let rebuilt = try store.run(["build", "-t", "b:1", ctx])
        #expect(rebuilt.status == 0 && cachedSteps(rebuilt) == 16, "\(cachedSteps(rebuilt)) of 16 steps cached")
        #expect(try store.verified())
    }

    @Test func aContainerKeepsItsImageAfterRmiForceAndCommits() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        #expect(try store.run(["run", "--name", "user1", "busybox", "sh", "-c", "echo kept > /k"]).status == 0)
        let removed = try store.run(["rmi", "-f", "busybox"])
        #expect(removed.status == 0, "\(removed.output)")
        #expect(try store.verified())
        let left = try StoreLeftovers.of(store.root)
        #expect(left.isEmpty, "\(left)")
        let committed = try store.run(["commit", "user1", "kept:1"])
        #expect(committed.status == 0, "\(committed.output)")
        #expect(try store.run(["run", "--rm", "kept:1", "cat", "/k"]).output == "kept\n")
        #expect(try store.run(["rm", "user1"]).status == 0)
        #expect(try store.run(["system", "prune"]).status == 0)
        #expect(try store.run(["run", "--rm", "kept:1", "cat", "/bin/busybox"]).status == 0)
        #expect(try store.verified())
    }

    /// Kills an operation at seeded random points; after the next open (recovery: `afterRecovery` checks what else
    /// must hold then) and one collection nothing is left over, the store verifies, and the operation run again
    /// gives the same result.
    func killed(
        _ name: String, seed: UInt64, store: CollectionStore, prepare: () throws -> Void, args: [String],
        afterRecovery: (Int) throws -> Void = { _ in }, result: () throws -> String
    ) throws -> (tries: Int, killed: Int, leftovers: Int) {
        try prepare()
        var first: (status: Int32, output: String) = (0, "")
        let duration = try seconds { first = try store.run(args) }
        #expect(first.status == 0, "\(name): \(first.output)")
        let expected = try result()
        var generator = SeededGenerator(seed: seed)
        let tries = slowTests ? 25 : 5
        var kills = 0
        var leftovers = 0
        for k in 0..<tries {
            try prepare()
            let point = Double.random(in: 0.05...1.1, using: &generator) * duration
            if try killedRun(["--root", store.root] + args, after: point) { kills += 1 }
            // The next command opens the store: tmp/ and dead leases are cleared.
            #expect(try store.run(["images"]).status == 0)
            try afterRecovery(k)
            let recovered = try StoreLeftovers.of(store.root)
            #expect(recovered.tmp.isEmpty && recovered.leases.isEmpty, "\(name) kill \(k) at \(point)s: after recovery \(recovered)")
            #expect(try store.run(["system", "prune"]).status == 0)
            let left = try StoreLeftovers.of(store.root)
            leftovers += recovered.tmp.count + recovered.leases.count + left.count
            #expect(left.isEmpty, "\(name) kill \(k) at \(point)s: after collection \(left)")
            #expect(try store.verified())
            try prepare()
            let again = try store.run(args)
            #expect(again.status == 0, "\(name) after kill \(k): \(again.output)")
            #expect(try result() == expected, "\(name) after kill \(k)")
        }
        return (tries, kills, leftovers)
    }

    @Test func killedImportRmiBuildLoadAndPruneLeaveNothingAfterRecoveryAndOneCollection() throws {
        guard let store = try CollectionStore.make() else { return }
        defer { store.remove() }
        let rootfs = store.base + "/rootfs"
        // A bigger tree, so a kill often lands while a layer is written.
        let big = store.base + "/big"
        try FileManager.default.createDirectory(atPath: big + "/data", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: rootfs + "/bin", toPath: big + "/bin")
        for i in 0..<4 { try Data(repeating: UInt8(i), count: 6 << 20).write(to: URL(fileURLWithPath: big + "/data/\(i)")) }
        func layers(_ image: String) throws -> String {
            try store.run(["inspect", "-f", "{{json .RootFS.Layers}}", image]).output
        }
        let imported = try killed(
            "import", seed: 1, store: store, prepare: {}, args: ["import", big, "big:1"], result: { try layers("big:1") })
        let removed = try killed(
            "rmi", seed: 2, store: store,
            prepare: { _ = try store.run(["import", big, "victim:1"]) }, args: ["rmi", "victim:1"],
            result: { try store.run(["images", "-q", "victim"]).output })
        try FileManager.default.createDirectory(atPath: store.base + "/ctx", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: big + "/data", toPath: store.base + "/ctx/data")
        try "FROM busybox\nCOPY data /data\nRUN cat /data/* | wc -c > /size\n".write(toFile: store.base + "/ctx/Dockerfile", atomically: true, encoding: .utf8)
        let built = try killed(
            "build", seed: 3, store: store, prepare: {}, args: ["build", "--no-cache", "-q", "-t", "kb:1", store.base + "/ctx"],
            result: { try store.run(["run", "--rm", "kb:1", "cat", "/size"]).output })
        let importTime = try seconds { _ = try store.run(["import", big, "timed:1"]) }
        #expect(try store.run(["rmi", "timed:1"]).status == 0)
        let archive = store.base + "/big.tar"
        #expect(try store.run(["save", "-o", archive, "big:1"]).status == 0)
        let loaded = try killed(
            "load", seed: 4, store: store,
            prepare: {
                _ = try store.run(["rmi", "big:1"])
                _ = try store.run(["system", "prune"])
            },
            args: ["load", "-i", archive], result: { try layers("big:1") })
        let pruned = try killed(
            "prune", seed: 5, store: store,
            prepare: {
                // Garbage for the collector: what an import killed part-way wrote.
                _ = try killedRun(["--root", store.root, "import", big, "garbage:1"], after: 0.8 * importTime)
                _ = try store.run(["rmi", "garbage:1"])
            },
            args: ["system", "prune"],
            result: { try store.run(["images", "-q"]).output })
        print("kill -9: import \(imported), rmi \(removed), build \(built), load \(loaded), prune \(pruned) (tries, killed before the end, leftovers)")
    }

    @Test func aFullDiskIsNamedAndLeavesTheStoreUsable() throws {
        guard let store = try CollectionStore.make(tmpfsMegabytes: 16) else { return }
        defer { store.remove() }
        func expectFailsClearly(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
            let r = try store.run(args)
            print("full disk, \(args.first ?? ""): \(r.output.split(separator: "\n").last ?? "")")
            #expect(r.status != 0, sourceLocation: sourceLocation)
            #expect(r.output.contains("No space left on device"), "\(args.first ?? ""): \(r.output)", sourceLocation: sourceLocation)
            #expect(!r.output.contains("unknown error"), "\(r.output)", sourceLocation: sourceLocation)
            let left = try StoreLeftovers.of(store.root)
            #expect(left.isEmpty, "after a failed \(args.first ?? ""): \(left)", sourceLocation: sourceLocation)
            #expect(try store.verified(), sourceLocation: sourceLocation)
            #expect(try store.run(["run", "--rm", "busybox", "true"]).status == 0, sourceLocation: sourceLocation)
        }
        // commit: the container's 7 MB fit, its layer does not.
        #expect(try store.run(["run", "--name", "full", "busybox", "sh", "-c", "head -c 7000000 /dev/zero > /z"]).status == 0)
        try expectFailsClearly(["commit", "full", "full:1"])
        #expect(try store.run(["rm", "full"]).status == 0)
        // commit: the layer fits, the image written after it does not; the layer must not stay behind.
        let pages = 730
        #expect(try store.run(["run", "--name", "fits", "busybox", "sh", "-c", "head -c \(pages * 4096 - 6000) /dev/zero > /z"]).status == 0)
        var fs = statvfs()
        #expect(statvfs(store.root, &fs) == 0)
        let free = Int(fs.f_bavail) * Int(fs.f_bsize)
        let filler = store.root + "/filler"
        try Data(count: max(0, free - (pages + 1) * 4096)).write(to: URL(fileURLWithPath: filler))
        let r = try store.run(["commit", "fits", "fits:1"])
        print("full disk after the layer, commit: \(r.output.split(separator: "\n").last ?? "")")
        #expect(r.status != 0 && r.output.contains("No space left on device"), "\(r.output)")
        let left = try StoreLeftovers.of(store.root)
        #expect(left.isEmpty, "after a failed commit: \(left)")
        try FileManager.default.removeItem(atPath: filler)
        #expect(try store.verified())
        #expect(try store.run(["rm", "fits"]).status == 0)
        // import: a tree larger than the disk.
        let big = store.base + "/big"
        try FileManager.default.createDirectory(atPath: big, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 20 << 20).write(to: URL(fileURLWithPath: big + "/z"))
        try expectFailsClearly(["import", big, "big:1"])
        // build: a step whose layer does not fit.
        let ctx = try store.context("ctx", "FROM busybox\nRUN head -c 7000000 /dev/zero > /z\n")
        try expectFailsClearly(["build", "-t", "full:2", ctx])
        #expect(try store.run(["images", "-q"]).output.split(separator: "\n").count == 1)
    }
}
