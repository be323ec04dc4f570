import EstibaJSON
import Foundation
import Glibc
import Testing

/// The same Dockerfiles built by Estiba and by Debian's Docker 20.10 (classic builder, vfs, no network) from the
/// same base image: history `created_by` (source digests included), `empty_layer`, image config and the files
/// of the result (modes, owners, sizes, contents) must agree.
@Suite(.serialized) struct DockerParityTests {
    typealias CLI = RuntimeTests.CLI

    /// A private dockerd on a scratch data root; stopped on deinit.
    final class Dockerd {
        let dir: String
        let process = Process()
        var socket: String { dir + "/docker.sock" }

        init(dir: String) throws {
            self.dir = dir
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/dockerd")
            process.arguments = [
                "--data-root", dir + "/data", "--exec-root", dir + "/exec", "--pidfile", dir + "/docker.pid", "--host",
                "unix://" + dir + "/docker.sock", "--iptables=false", "--ip6tables=false", "--bridge=none", "--storage-driver=vfs",
            ]
            let log = FileHandle(forWritingAtPath: "/dev/null")
            process.standardOutput = log
            process.standardError = log
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while (try? docker(["version"]))?.status != 0 {
                if Date() > deadline || !process.isRunning { throw TestTimeout(what: "dockerd") }
                usleep(100_000)
            }
        }

        @discardableResult
        func docker(_ args: [String], input: String? = nil, env: [String: String] = [:]) throws -> (status: Int32, output: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/docker")
            p.arguments = ["-H", "unix://" + socket] + args
            var e = ProcessInfo.processInfo.environment
            for (k, v) in env { e[k] = v }
            p.environment = e
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            let inPipe = Pipe()
            p.standardInput = input == nil ? FileHandle.nullDevice : inPipe
            try p.run()
            if let input {
                inPipe.fileHandleForWriting.write(Data(input.utf8))
                try inPipe.fileHandleForWriting.close()
            }
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
            let data = dir + "/data"
            // vfs layers may hold read-only files; the data root is scratch.
            _ = try? Process.run(URL(fileURLWithPath: "/bin/rm"), arguments: ["-rf", data]).waitUntilExit()
        }
    }

    static var available: Bool {
        geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/sbin/dockerd")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/docker")
    }

    func shell(_ command: String) throws {
        let p = try Process.run(URL(fileURLWithPath: "/bin/sh"), arguments: ["-c", command])
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(command)")
    }

    /// Lists the image's files (mount points, /proc, /sys, /dev and declared volumes left out).
    static let listing = #"find / -xdev \( -path /proc -o -path /sys -o -path /dev \) -prune -o -print | sort | while read f; do case $f in /etc/hosts|/etc/hostname|/etc/resolv.conf|/etc/mtab|/.dockerenv) continue;; esac; if [ -f "$f" ] && [ ! -L "$f" ]; then s=$(md5sum "$f" | cut -c1-8); else s=-; fi; stat -c "%n %A %u:%g %s $s" "$f"; done"#

    @Test func theSameDockerfilesBuildTheSameImagesAsDocker20_10() throws {
        guard Self.available, let cli = try RuntimeTests().busyboxStore() else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("the parity test needs root, docker.io and busybox-static") }
            return
        }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        let dockerd = try Dockerd(dir: base + "/docker")
        // The same base image on both sides.
        try shell("tar -C \(base)/rootfs -cf \(base)/busybox.tar .")
        var r = try dockerd.docker(["import", "-c", "CMD [\"sh\"]", "-c", "ENV PATH=/usr/local/bin:/bin", base + "/busybox.tar", "busybox:latest"])
        #expect(r.status == 0, "\(r.output)")

        // 1. Docker's own classic fixture: FROM scratch, every metadata instruction, RUN with build args.
        let classic = base + "/classic"
        try FileManager.default.createDirectory(atPath: classic + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: classic + "/d/e", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: classic + "/bin/busybox")
        for a in ["echo", "mkdir", "rm", "sh", "touch", "id", "ls"] { symlink("busybox", classic + "/bin/" + a) }
        try "f\n".write(toFile: classic + "/d/e/f", atomically: true, encoding: .utf8)
        try "g\n".write(toFile: classic + "/d/g", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: Paths.conformance + "/docker-20.10-outputs/Dockerfile.classic", toPath: classic + "/Dockerfile")

        // A web server for ADD from a URL (Docker's daemon and Estiba both fetch from it).
        let www = base + "/www"
        try FileManager.default.createDirectory(atPath: www, withIntermediateDirectories: true)
        try "remote content\n".write(toFile: www + "/remote.txt", atomically: true, encoding: .utf8)
        let web = Process()
        web.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        web.arguments = ["python3", "-u", "-c", "import http.server, functools, sys; h = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1]); s = http.server.HTTPServer(('127.0.0.1', 0), h); print(s.server_address[1], flush=True); s.serve_forever()", www]
        let webOut = Pipe()
        web.standardOutput = webOut
        web.standardError = FileHandle.nullDevice
        try web.run()
        defer {
            kill(web.processIdentifier, SIGKILL)
            web.waitUntilExit()
        }
        let port = try #require(Int(DescriptorReader(fd: webOut.fileHandleForReading.fileDescriptor).line(timeout: 20) ?? ""))

        // 2. A busybox build with what the fixture lacks: multi-stage COPY --from, ADD of a tarball and into a
        //    directory, --chown by name and number, wildcards, .dockerignore, ENV/ARG expansion, relative WORKDIR,
        //    USER by name, EXPOSE ranges, JSON VOLUME, numeric STOPSIGNAL, exec-form HEALTHCHECK, shell ENTRYPOINT.
        let app = base + "/app"
        try FileManager.default.createDirectory(atPath: app + "/conf/sub", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: app + "/docs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: app + "/tarsrc/pkg", withIntermediateDirectories: true)
        try "a=1\n".write(toFile: app + "/conf/app.conf", atomically: true, encoding: .utf8)
        try "deep\n".write(toFile: app + "/conf/sub/deep.txt", atomically: true, encoding: .utf8)
        chmod(app + "/conf/sub/deep.txt", 0o600)
        for (n, t) in [("one", "1"), ("two", "2"), ("secret", "s")] { try "\(t)\n".write(toFile: app + "/docs/\(n).md", atomically: true, encoding: .utf8) }
        try "packed\n".write(toFile: app + "/tarsrc/pkg/file.txt", atomically: true, encoding: .utf8)
        try shell("tar -C \(app)/tarsrc -czf \(app)/bundle.tar.gz pkg && rm -rf \(app)/tarsrc")
        try "plain\n".write(toFile: app + "/plain.txt", atomically: true, encoding: .utf8)
        try "junk\n".write(toFile: app + "/junk.tmp", atomically: true, encoding: .utf8)
        try "docs/secret.md\n*.tmp\n".write(toFile: app + "/.dockerignore", atomically: true, encoding: .utf8)
        try """
            ARG BASE=busybox
            FROM ${BASE} AS build
            ARG VERSION=1.0
            ENV APP_HOME=/opt/app VERSION_TAG=v${VERSION}
            WORKDIR $APP_HOME
            COPY conf/ ./conf/
            COPY docs/*.md /docs/
            RUN echo "built ${VERSION_TAG}" > build.txt && ls -la /docs > /docs/listing
            FROM busybox
            MAINTAINER Jane Doe <jane@example.com>
            LABEL org.example.name="parity test" org.example.multi="a b" simple=yes
            ENV PATH=/opt/app/bin:$PATH LANG=C.UTF-8
            ADD bundle.tar.gz /opt/
            ADD plain.txt /opt/plain/
            ADD http://127.0.0.1:\(port)/remote.txt /opt/remote/
            ADD http://127.0.0.1:\(port)/remote.txt /opt/renamed.txt
            COPY --from=build /opt/app /opt/app
            COPY --chown=nobody:nogroup conf/app.conf /etc/app.conf
            COPY --chown=65534 conf/sub /srv/sub
            WORKDIR relative/dir
            RUN pwd > /pwd.txt && id > /id.txt
            USER nobody
            RUN id > /tmp/id-nobody.txt || true
            USER root
            EXPOSE 8000-8002/tcp 53/udp 9090
            VOLUME ["/var/data", "/var/log/app"]
            STOPSIGNAL 9
            HEALTHCHECK --interval=30s --timeout=10s --start-period=5s --retries=3 CMD ["wget", "-q", "-O-", "http://localhost/"]
            ONBUILD COPY . /onbuild-src
            ENTRYPOINT echo entry
            CMD ["ignored"]
            """.write(toFile: app + "/Dockerfile", atomically: true, encoding: .utf8)

        // 3. A child of (2): its ONBUILD trigger runs first.
        let child = base + "/child"
        try FileManager.default.createDirectory(atPath: child, withIntermediateDirectories: true)
        try "child file\n".write(toFile: child + "/c.txt", atomically: true, encoding: .utf8)
        try "FROM parity-app:1\nRUN ls /onbuild-src > /listing.txt\nHEALTHCHECK NONE\n".write(toFile: child + "/Dockerfile", atomically: true, encoding: .utf8)

        let builds: [(tag: String, dir: String, args: [String], volumes: [String])] = [
            ("parity-classic:1", classic, ["--build-arg", "A=y"], ["/data"]),
            ("parity-app:1", app, [], ["/var/data", "/var/log/app", "/var", "/var/log"]),
            ("parity-child:1", child, [], ["/var/data", "/var/log/app", "/var", "/var/log"]),
        ]
        for b in builds {
            r = try dockerd.docker(["build", "--network=none", "-t", b.tag] + b.args + [b.dir], env: ["DOCKER_BUILDKIT": "0"])
            #expect(r.status == 0, "docker build \(b.tag): \(r.output)")
            r = try cli.run(["build", "-t", b.tag] + b.args + [b.dir])
            #expect(r.status == 0, "estiba build \(b.tag): \(r.output)")

            // Configs and history, from both stores.
            let dockerID = try dockerd.docker(["image", "inspect", "-f", "{{.Id}}", b.tag]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let dockerConfig = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: base + "/docker/data/image/vfs/imagedb/content/sha256/" + dockerID.dropFirst(7)))))
            let ourID = try cli.run(["inspect", "-f", "{{.Id}}", b.tag]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let ourConfig = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: cli.root + "/oci/blobs/sha256/" + ourID.dropFirst(7)))))
            let theirs = dockerConfig["history"]?.arrayValue ?? []
            let ours = ourConfig["history"]?.arrayValue ?? []
            #expect(ours.count == theirs.count, "\(b.tag) history length")
            for (a, t) in zip(ours, theirs) where t["created_by"] != nil {
                #expect(a["created_by"] == t["created_by"], "\(b.tag)")
                #expect((a["empty_layer"]?.boolValue ?? false) == (t["empty_layer"]?.boolValue ?? false), "\(b.tag) \(t["created_by"] ?? .null)")
            }
            // (Docker writes empty members as null; Estiba leaves them out.)
            for key in ["User", "ExposedPorts", "Env", "Cmd", "Healthcheck", "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels", "StopSignal", "Shell"] {
                #expect((ourConfig["config"]?[key] ?? .null) == (dockerConfig["config"]?[key] ?? .null), "\(b.tag) config \(key)")
            }
            #expect(ourConfig["author"] == dockerConfig["author"], "\(b.tag) author")
            #expect(ourConfig["rootfs"]?["diff_ids"]?.arrayValue?.count == dockerConfig["rootfs"]?["diff_ids"]?.arrayValue?.count, "\(b.tag) layers")

            // The files of the image, seen from a container of each.
            let dockerFiles = try dockerd.docker(["run", "--rm", "--network", "none", "--entrypoint", "/bin/sh", "-u", "0", b.tag, "-c", Self.listing]).output
            let ourFiles = try cli.run(["run", "--rm", "--entrypoint", "/bin/sh", "-u", "0", b.tag, "-c", Self.listing]).output
            // Both mount anonymous volumes, filled from the image, on the image's VOLUME paths.
            func filtered(_ text: String) -> [Substring] { text.split(separator: "\n") }
            let theirFiles = filtered(dockerFiles)
            let mine = filtered(ourFiles)
            #expect(mine.count == theirFiles.count, "\(b.tag): \(mine.count) files here, \(theirFiles.count) in Docker's image")
            for (a, t) in zip(mine, theirFiles) where a != t { Issue.record("\(b.tag): \(a) here, \(t) in Docker's image") }
            #expect(theirFiles.count > 15)
        }
    }
}
