import Foundation
import Glibc
import Testing

/// The seed's original Dockerfile (apt-get and pip installs) on a debootstrap Debian base, with `--network host`.
/// Slow (minutes; it downloads packages from Debian and PyPI), so outside the default suite:
/// `ESTIBA_SLOW_TESTS=1 swift test --filter SeedDebianTests` (needs root, debootstrap and network).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["ESTIBA_SLOW_TESTS"] != nil))
struct SeedDebianTests {
    typealias CLI = RuntimeTests.CLI

    @Test func theSeedsOriginalDockerfileBuildsOnDebian() throws {
        let base = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let bootstrap = Process()
        bootstrap.executableURL = URL(fileURLWithPath: "/usr/sbin/debootstrap")
        bootstrap.arguments = ["--variant=minbase", "bookworm", base + "/bookworm", "http://deb.debian.org/debian"]
        bootstrap.standardOutput = FileHandle.nullDevice
        try bootstrap.run()
        bootstrap.waitUntilExit()
        try #require(bootstrap.terminationStatus == 0, "debootstrap failed")
        // Machines behind a TLS-inspecting proxy trust extra CAs; give them to the image too (pip needs them).
        let extra = "/usr/local/share/ca-certificates"
        try FileManager.default.createDirectory(atPath: base + "/bookworm" + extra, withIntermediateDirectories: true)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: extra)) ?? [] where name.hasSuffix(".crt") {
            try FileManager.default.copyItem(atPath: extra + "/" + name, toPath: base + "/bookworm" + extra + "/" + name)
        }
        let cli = CLI(root: base + "/store")
        var r = try cli.run(["import", "-c", "CMD [\"bash\"]", base + "/bookworm", "debian:bookworm"])
        try #require(r.status == 0, "\(r.output)")
        let ctx = Paths.repo.path + "/examples/prod-env-debian"
        r = try cli.run(["build", "--network", "host", "-t", "prod-env-debian:0.1", ctx])
        #expect(r.status == 0, "\(r.output.suffix(3000))")
        #expect(r.output.contains("Step 17/17 : CMD bash"))
        r = try cli.run(["build", "--network", "host", "-t", "prod-env-debian:0.1", ctx])
        #expect(r.output.components(separatedBy: " ---> Using cache").count - 1 == 16, "\(r.output)")
        r = try cli.run(["run", "--rm", "prod-env-debian:0.1", "sh", "-c",
            "python3 -c 'import django, requests; print(django.get_version())'; cat /settings/config.txt; nginx -v 2>&1; test -x /usr/sbin/mariadbd && echo mariadb"])
        #expect(r.output.hasPrefix("1.10\n"), "\(r.output)")
        #expect(r.output.contains("nginx version") && r.output.contains("mariadb"), "\(r.output)")

        // The seed's first half on Debian: change a container, commit it, remove it, run the new image.
        r = try cli.run(["run", "--network", "host", "--name", "segunda-prueba", "debian:bookworm", "sh", "-c",
            "apt-get update >/dev/null && apt-get install -y figlet >/dev/null && figlet -v | head -n 1"])
        #expect(r.status == 0, "\(r.output.suffix(2000))")
        r = try cli.run(["commit", "segunda-prueba", "ambiente-produccion"])
        #expect(r.status == 0 && r.output.hasPrefix("sha256:"), "\(r.output)")
        #expect(try cli.run(["rm", "segunda-prueba"]).status == 0)
        r = try cli.run(["run", "--rm", "--name", "tercera-prueba", "ambiente-produccion", "figlet", "hola"])
        #expect(r.status == 0 && r.output.contains("_"), "\(r.output)")
    }
}
