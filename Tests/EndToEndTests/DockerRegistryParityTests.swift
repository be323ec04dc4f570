import Foundation
import Glibc
import Testing

/// Images cross a registry both ways between Estiba and Debian's Docker 20.10 (a private dockerd): what Estiba
/// pushes, Docker pulls with the same image ID and runs; what Docker pushes, Estiba pulls with Docker's ID and
/// runs.
@Suite(.serialized) struct DockerRegistryParityTests {
    @Test func imagesCrossARegistryBothWaysWithTheirIDs() throws {
        guard DockerParityTests.available, let cli = try RuntimeTests().busyboxStore() else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("the registry parity test needs root, docker.io and busybox-static") }
            return
        }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let registry = try PullCommandTests.Registry()
        defer { registry.stop() }
        let dockerd = try DockerParityTests.Dockerd(dir: base + "/docker")

        // Estiba → registry → Docker.
        let ours = registry.host + "/estiba/busybox:1"
        var r = try cli.run(["tag", "busybox", ours])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["push", ours])
        #expect(r.status == 0, "\(r.output)")
        let ourID = try cli.run(["inspect", "-f", "{{.Id}}", "busybox"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        r = try dockerd.docker(["pull", ours])
        #expect(r.status == 0, "\(r.output)")
        r = try dockerd.docker(["image", "inspect", "-f", "{{.Id}}", ours])
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines) == ourID, "\(r.output) vs \(ourID)")
        r = try dockerd.docker(["run", "--rm", "--network", "none", ours, "echo", "pushed by estiba"])
        #expect(r.status == 0 && r.output.contains("pushed by estiba"), "\(r.output)")

        // Docker → registry → Estiba: an image Docker made itself (its own import, its own config).
        let tar = base + "/busybox.tar"
        let tarred = try runProgram("/bin/tar", ["-C", base + "/rootfs", "-cf", tar, "."])
        #expect(tarred.status == 0, "\(tarred.output)")
        let theirs = registry.host + "/docker/busybox:2"
        r = try dockerd.docker(["import", "-c", "CMD [\"sh\"]", "-c", "ENV PATH=/bin", "-c", "LABEL made=docker", tar, theirs])
        #expect(r.status == 0, "\(r.output)")
        let theirID = try dockerd.docker(["image", "inspect", "-f", "{{.Id}}", theirs]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        r = try dockerd.docker(["push", theirs])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["pull", theirs])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["inspect", "-f", "{{.Id}} {{index .Config.Labels \"made\"}}", theirs])
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines) == theirID + " docker", "\(r.output) vs \(theirID)")
        r = try cli.run(["run", "--rm", theirs, "echo", "pushed by docker"])
        #expect(r.status == 0 && r.output.contains("pushed by docker"), "\(r.output)")
    }
}
