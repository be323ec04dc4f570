import Engine
import Foundation
import System
import Testing

/// Engine's API in-process, on a store of its own: what front ends get back, and the errors they map.
@Suite struct EngineAPITests {
    let root: String
    let engine: Engine

    init() throws {
        root = NSTemporaryDirectory() + "estiba-engine-tests-" + UUID().uuidString
        engine = Engine(configuration: EngineConfiguration(root: root))
    }

    /// A tiny root file system to import.
    func rootfs() throws -> String {
        let dir = NSTemporaryDirectory() + "estiba-engine-rootfs-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: dir + "/etc/greeting"))
        return dir
    }

    @Test func importedImagesAreListedInspectedAndRemoved() async throws {
        let dir = try rootfs()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let image = try await engine.importImage(source: dir, reference: "tiny:1", changes: ["CMD [\"/bin/true\"]"], message: "made in a test")
        #expect(image.references.map(\.description) == ["tiny:1"])
        #expect(image.config.config.cmd == ["/bin/true"])

        let listed = try await engine.images()
        #expect(listed.map(\.image.id) == [image.id])
        #expect(listed.first?.uniqueSize == image.size)
        #expect(listed.first?.sharedSize == 0)

        // inspect's layer directories are where the store unpacks each layer, by chain ID, top first.
        let details = try await engine.imageDetails("tiny:1")
        #expect(details.image.id == image.id)
        #expect(details.layerDirectories == image.chainIDs.reversed().map { root + "/snapshots/" + $0.hex + "/fs" })

        let history = try await engine.history("tiny:1")
        #expect(history.count == 1)
        #expect(history.first?.comment == "made in a test")

        _ = try await engine.tag(source: "tiny:1", target: "tiny:2")
        #expect(try await engine.imageDetails("tiny:2").image.id == image.id)
        let events = try await engine.removeImages(["tiny:1", "tiny:2"], force: false)
        #expect(events.count == 3, "two untags and one delete: \(events)")
        await #expect(throws: EstibaError.self) { try await engine.imageDetails(image.id.description) }
    }

    @Test func unknownNamesAreNotFound() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        do {
            _ = try await engine.imageDetails("nothing-here:latest")
            Issue.record("an unknown image was found")
        } catch { #expect(error.code == .notFound) }
        do {
            _ = try engine.containerDetails("no-such-container")
            Issue.record("an unknown container was found")
        } catch { #expect(error.code == .notFound) }
    }

    @Test func launchFailuresSayWhyTheCommandDidNotStart() {
        let missing = EstibaError(.launchFailed, "x", context: ["stage": "command not found"])
        let denied = EstibaError(.launchFailed, "x", context: ["stage": "command cannot be executed"])
        let other = EstibaError(.launchFailed, "x", context: ["stage": "pivot_root"])
        let notLaunch = EstibaError(.notFound, "x", context: ["stage": "command not found"])
        #expect(missing.commandFailure == .notFound)
        #expect(denied.commandFailure == .notExecutable)
        #expect(other.commandFailure == nil)
        #expect(notLaunch.commandFailure == nil)
    }

    @Test func limitsFromUsersAreCheckedWithDockersRules() throws {
        var limits = ResourceLimits()
        limits.memoryBytes = 1 << 20
        #expect(throws: EstibaError.self) { try Limits.check(limits) }
        limits.memoryBytes = 64 << 20
        #expect(throws: Never.self) { try Limits.check(limits) }
        #expect(throws: EstibaError.self) { try Limits.signal(0) }
        #expect(throws: EstibaError.self) { try Limits.signal(65) }
        #expect(try Limits.signal(15) == 15)
        #expect(throws: EstibaError.self) { try Limits.stopTimeout(-1) }
        #expect(throws: EstibaError.self) { try Limits.checkUser("a:b:c") }
        #expect(throws: Never.self) { try Limits.checkUser("1000:1000") }
    }
}
