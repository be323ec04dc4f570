import Foundation
import Glibc
import System
import Testing

/// `estiba pull` killed with SIGKILL mid-download leaves nothing once the store is next opened.
@Suite(.serialized) struct PullKillTests {
    /// The built `estiba` (`ESTIBA_BIN`, else beside the tests, else .build/debug).
    static var estiba: String {
        if let e = ProcessInfo.processInfo.environment["ESTIBA_BIN"], !e.isEmpty { return e }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent()] {
            let candidate = dir.appendingPathComponent("estiba").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/estiba").path
    }

    @Test func aPullKilledMidLayerLeavesNothing() async throws {
        let registry = try LocalRegistry()
        defer { registry.stop() }
        let layout = try await busyboxLayout()
        defer { removeTree(layout) }
        try registry.copy("oci:\(layout)/oci:busybox:latest", to: "kill/app:1")
        let proxy = try FaultyProxy(upstream: registry, mode: .slow)
        defer { proxy.stop() }
        let root = try temporaryDirectory("pull-kill")
        defer { removeTree(root) }
        let pull = Process()
        pull.executableURL = URL(fileURLWithPath: Self.estiba)
        pull.arguments = ["--root", root, "pull", "\(proxy.host)/kill/app:1"]
        pull.environment = ["DOCKER_CONFIG": root + "/no-docker-config", "PATH": "/usr/bin:/bin"]
        pull.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        pull.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try pull.run()
        // Killed once part of the layer is in tmp/ (the whole takes several seconds through the proxy).
        var partial = false
        for _ in 0..<600 where !partial {
            usleep(20_000)
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? []
            partial = entries.contains { name in
                name.hasPrefix("pull-") && ((try? FileManager.default.attributesOfItem(atPath: root + "/tmp/" + name)[.size] as? Int) ?? 0) > 0
            }
        }
        #expect(partial, "the pull never started its download")
        kill(pull.processIdentifier, SIGKILL)
        pull.waitUntilExit()
        // The next command's store recovery ends the dead pull's lease and clears what it staged.
        let images = try run(Self.estiba, ["--root", root, "images", "-q"])
        #expect(images.status == 0 && images.output.isEmpty, "\(images.output)")
        for dir in ["tmp", "leases", "snapshots", "oci/blobs/sha256"] {
            let left = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + dir)) ?? []
            #expect(left.isEmpty, "\(dir): \(left)")
        }
        let verified = try run(Self.estiba, ["--root", root, "system", "verify"])
        #expect(verified.status == 0, "\(verified.output)")
    }
}
