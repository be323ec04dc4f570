import EstibaJSON
import Foundation
import Glibc
import Testing

/// `build` for real (root, namespaces, overlayfs): the seed's Dockerfile and cache lessons, every instruction
/// against Docker 20.10's classic builder output, cache explanations, dry runs, failures and multi-stage builds.
@Suite(.serialized) struct BuilderTests {
    typealias CLI = RuntimeTests.CLI

    func store() throws -> CLI? { try RuntimeTests().busyboxStore() }

    /// A fresh copy of examples/prod-env to change.
    func exampleContext(_ cli: CLI) throws -> String {
        let dir = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/prod-env"
        try? FileManager.default.removeItem(atPath: dir)
        try FileManager.default.copyItem(atPath: Paths.repo.path + "/examples/prod-env", toPath: dir)
        return dir
    }

    /// A build context beside the store holding just a Dockerfile.
    func dockerfileContext(_ cli: CLI, _ name: String, _ text: String) throws -> String {
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try text.write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        return ctx
    }

    func cleanup(_ cli: CLI) { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }

    /// The build's step reports, from `build --dry-run`-style output lines of the CLI.
    func stepLines(_ output: String) -> [(step: String, status: String)] {
        var out: [(String, String)] = []
        var current: String?
        for line in output.split(separator: "\n").map(String.init) {
            if line.hasPrefix("Step ") {
                current = line
            } else if let c = current, line.hasPrefix(" ---> Using cache") || line.hasPrefix(" ---> Not cached: ") || line.hasPrefix(" ---> Would run: ") {
                out.append((c, String(line.dropFirst(6))))
                current = nil
            }
        }
        return out
    }

    @Test func theSeedsDockerfileBuildsAndItsCacheBehavesAsTheSeedTeaches() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = try exampleContext(cli)
        // Cold build: every step after FROM runs.
        var r = try cli.run(["build", "-t", "prod-env:0.1", ctx])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("Step 1/17 : FROM busybox"))
        #expect(r.output.contains("Step 4/17 : RUN mkdir -p /var/lib/apt/lists"))
        #expect(r.output.contains("Successfully tagged prod-env:0.1"))
        var steps = stepLines(r.output)
        #expect(steps.count == 16 && steps.allSatisfy { $0.status.hasPrefix("Not cached") })
        #expect(steps.first?.status == "Not cached: not built before")
        // Unchanged rebuild: every step after FROM is reused, and the image is the same.
        let firstID = try #require(r.output.split(separator: "\n").last { $0.hasPrefix("Successfully built ") })
        r = try cli.run(["build", "-t", "prod-env:0.1", ctx])
        steps = stepLines(r.output)
        #expect(steps.count == 16 && steps.allSatisfy { $0.status == "Using cache" }, "\(r.output)")
        #expect(r.output.contains(String(firstID)))
        // Touching mtimes or changing a file no step copies invalidates nothing.
        utimes(ctx + "/config.txt", nil)
        try "unrelated\n".write(toFile: ctx + "/notes.md", atomically: true, encoding: .utf8)
        r = try cli.run(["build", "-t", "prod-env:0.1", ctx])
        #expect(stepLines(r.output).allSatisfy { $0.status == "Using cache" }, "\(r.output)")
        // ADD third: changing config.txt rebuilds ADD and everything after it, and says why.
        try "db_host=db.example\n".write(toFile: ctx + "/config.txt", atomically: true, encoding: .utf8)
        r = try cli.run(["build", "--dry-run", ctx])
        steps = stepLines(r.output)
        #expect(steps.count == 16)
        #expect(steps[0].status == "Using cache")
        #expect(steps[1].status == "Would run: source changed: config.txt", "\(r.output)")
        #expect(steps.dropFirst(2).allSatisfy { $0.status == "Would run: previous step rebuilt" })
        r = try cli.run(["build", "-t", "prod-env:0.1", ctx])
        steps = stepLines(r.output)
        #expect(steps[0].status == "Using cache")
        #expect(steps[1].status == "Not cached: source changed: config.txt")
        #expect(steps.dropFirst(2).allSatisfy { $0.status == "Not cached: previous step rebuilt" }, "\(r.output)")
        // ADD last: only ADD and CMD are rebuilt when config.txt changes.
        r = try cli.run(["build", "-f", ctx + "/Dockerfile.add-last", "-t", "prod-env:0.2", ctx])
        #expect(r.status == 0, "\(r.output)")
        try "db_host=db2.example\n".write(toFile: ctx + "/config.txt", atomically: true, encoding: .utf8)
        r = try cli.run(["build", "-f", ctx + "/Dockerfile.add-last", "-t", "prod-env:0.2", ctx])
        steps = stepLines(r.output)
        #expect(steps.count == 16)
        #expect(steps.prefix(14).allSatisfy { $0.status == "Using cache" }, "\(r.output)")
        #expect(steps[14].status == "Not cached: source changed: config.txt")
        #expect(steps[15].status == "Not cached: previous step rebuilt")
        // inspect shows the label; history lists the steps newest first with sizes and the creating instruction.
        r = try cli.run(["inspect", "-f", "{{json .Config.Labels}}", "prod-env:0.1"])
        #expect(r.output == "{\"maintainer\":\"ialmandos@conatel.com.uy\"}\n", "\(r.output)")
        r = try cli.run(["history", "--no-trunc", "prod-env:0.1"])
        let rows = r.output.split(separator: "\n")
        #expect(rows.count == 1 + 17, "\(r.output)")
        #expect(rows[1].contains("/bin/sh -c #(nop)  CMD [\"/bin/sh\" \"-c\" \"sh\"]"))
        #expect(rows[2].contains("/bin/sh -c mkdir -p /etc/nginx && echo \"events {}\" > /etc/nginx/nginx.conf"))
        #expect(rows[15].contains("/bin/sh -c #(nop) ADD file:") && rows[15].contains(" in /settings/config.txt "))
        #expect(rows[16].contains("/bin/sh -c #(nop)  LABEL maintainer=ialmandos@conatel.com.uy"))
        #expect(!rows[1].hasPrefix("<missing>") && !rows[15].hasPrefix("<missing>"), "built steps have image IDs: \(r.output)")
        // The new image runs and has what the build put there.
        r = try cli.run(["run", "--rm", "prod-env:0.1", "sh", "-c", "cat /settings/config.txt; python3; cat /etc/nginx/nginx.conf"])
        #expect(r.output == "db_host=db.example\nPython 3 (stand-in)\nevents {}\n", "\(r.output)")
        r = try cli.run(["images"])
        #expect(r.output.contains("prod-env     0.1") && r.output.contains("prod-env     0.2"), "\(r.output)")
        // `run -it prod-env:0.1` gets a shell (its CMD) on a real terminal.
        let screen = try terminalSession(cli, ["run", "-it", "--rm", "prod-env:0.1"], typing: ["python3; cat /settings/config.txt", "exit 3"])
        #expect(screen.contains("Python 3 (stand-in)\r\ndb_host=db.example\r\n"), "\(screen)")
        #expect(screen.hasSuffix("EXIT=3\n"), "\(screen)")
    }

    /// Drives the CLI on a pty like a person: types each line, returns the screen and the exit code.
    func terminalSession(_ cli: CLI, _ args: [String], typing lines: [String]) throws -> String {
        try Pty.session([Paths.estiba, "--root", cli.root] + args, steps: lines.map { .init(text: $0 + "\r") })
    }

    @Test func everyInstructionMatchesDockerClassicBuilder() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let outputs = Paths.conformance + "/docker-20.10-outputs"
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/classic"
        try FileManager.default.createDirectory(atPath: ctx + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: ctx + "/d/e", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: ctx + "/bin/busybox")
        for a in ["echo", "mkdir", "rm", "sh", "touch"] { symlink("busybox", ctx + "/bin/" + a) }
        try "f\n".write(toFile: ctx + "/d/e/f", atomically: true, encoding: .utf8)
        try "g\n".write(toFile: ctx + "/d/g", atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: outputs + "/Dockerfile.classic", toPath: ctx + "/Dockerfile")
        var r = try cli.run(["build", "--build-arg", "A=y", "-t", "classic:1", ctx])
        #expect(r.status == 0, "\(r.output)")
        let id = try #require(try cli.run(["inspect", "-f", "{{.Id}}", "classic:1"]).output.split(separator: ":").last).trimmingCharacters(in: .whitespacesAndNewlines)
        let ours = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: cli.root + "/oci/blobs/sha256/" + id))))
        let docker = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: outputs + "/docker20.10-classic-config.json"))))
        func normalized(_ s: String) -> String {
            s.replacingOccurrences(of: #"(dir|file|multi):[0-9a-f]{64}"#, with: "$1:<digest>", options: .regularExpression)
        }
        let ourHistory = ours["history"]?.arrayValue ?? []
        let dockerHistory = docker["history"]?.arrayValue ?? []
        #expect(ourHistory.count == dockerHistory.count)
        for (a, b) in zip(ourHistory, dockerHistory) {
            #expect(normalized(a["created_by"]?.stringValue ?? "") == normalized(b["created_by"]?.stringValue ?? ""))
            #expect((a["empty_layer"]?.boolValue ?? false) == (b["empty_layer"]?.boolValue ?? false), "\(a)")
        }
        for key in ["User", "ExposedPorts", "Env", "Cmd", "Healthcheck", "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels", "StopSignal", "Shell"] {
            #expect(ours["config"]?[key] == docker["config"]?[key], "config \(key)")
        }
        #expect(ours["rootfs"]?["diff_ids"]?.arrayValue?.count == docker["rootfs"]?["diff_ids"]?.arrayValue?.count)
        // The files of the image: what the RUN steps removed is gone, what they made is there.
        r = try cli.run(["run", "--rm", "--entrypoint", "/bin/sh", "-u", "0", "classic:1", "-c", "ls -R /d; cat /x /d/e/h; ls -ld /app /data"])
        #expect(r.output.hasPrefix("/d:\ne\n\n/d/e:\nh\nexec form\nnew\n"), "\(r.output)")
        #expect(r.output.contains("drwxr-xr-x") && r.output.contains("/app") && r.output.contains("/data"))
    }

    @Test func cacheExplainsMissesForInstructionsArgsAndBaseImages() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        func write(_ text: String) throws { try text.write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8) }
        try write("FROM busybox\nARG FLAVOR=plain\nRUN echo $FLAVOR > /flavor\nENV X=1\n")
        var r = try cli.run(["build", "-t", "t:1", ctx])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["build", "--build-arg", "FLAVOR=spicy", "-t", "t:1", ctx])
        var steps = stepLines(r.output)
        #expect(steps.map(\.status) == ["Using cache", "Not cached: build arg FLAVOR changed", "Not cached: previous step rebuilt"], "\(r.output)")
        #expect(try cli.run(["run", "--rm", "t:1", "cat", "/flavor"]).output == "spicy\n")
        try write("FROM busybox\nARG FLAVOR=plain\nRUN echo $FLAVOR-v2 > /flavor\nENV X=1\n")
        r = try cli.run(["build", "-t", "t:1", ctx])
        steps = stepLines(r.output)
        #expect(steps.map(\.status) == ["Using cache", "Not cached: instruction changed", "Not cached: previous step rebuilt"], "\(r.output)")
        r = try cli.run(["build", "--no-cache", "-t", "t:1", ctx])
        #expect(stepLines(r.output).map(\.status) == ["Not cached: --no-cache", "Not cached: --no-cache", "Not cached: --no-cache"])
        // A new base image under the same name.
        #expect(try cli.run(["commit", "--help"]).status == 0)
        r = try cli.run(["run", "--name", "base-change", "busybox", "touch", "/new"])
        r = try cli.run(["commit", "base-change", "busybox:latest"])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["build", "-t", "t:1", ctx])
        #expect(stepLines(r.output).first?.status == "Not cached: base image changed", "\(r.output)")
        // Unused build args are reported.
        r = try cli.run(["build", "--build-arg", "NOPE=1", "-t", "t:1", ctx])
        #expect(r.output.contains("[Warning] One or more build-args [NOPE] were not consumed"))
    }

    /// A Dockerfile of `count` ENV lines (every hundredth sets K0 again) and a last line that expands two of
    /// them; with the environment it leaves after the base image's PATH.
    static func envDockerfile(_ count: Int) -> (text: String, env: [String]) {
        var lines = ["FROM busybox"]
        var env: [String] = []
        func set(_ k: String, _ v: String) {
            lines.append("ENV \(k)=\(v)")
            env.removeAll { $0.hasPrefix(k + "=") }
            env.append(k + "=" + v)
        }
        for i in 0..<(count - 1) {
            if i % 100 == 99 { set("K0", "again\(i)") } else { set("K\(i)", "v\(i)") }
        }
        let k0 = env.last { $0.hasPrefix("K0=") }.map { String($0.dropFirst(3)) } ?? ""
        lines.append("ENV LAST=${K0}:$K1")
        env.append("LAST=\(k0):v1")
        return (lines.joined(separator: "\n") + "\n", env)
    }

    @Test func thousandsOfEnvStepsKeepTheirEnvironment() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/env"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        // 20,000 steps, predicted: each one is planned, and the last expands what the others set.
        let big = Self.envDockerfile(20_000)
        try big.text.write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let service = try StdioService(root: cli.root)
        defer { _ = try? service.terminate() }
        service.sendLine(request(1, "build", ["context": .string(ctx), "dryRun": true, "progress": false]))
        let dry = try #require(try service.reader.json(timeout: 600)?["result"])
        let steps = dry["steps"]?.arrayValue ?? []
        #expect(steps.count == 20_001)
        #expect(steps.last?["createdBy"]?.stringValue?.hasSuffix("ENV \(big.env.last ?? "")") == true, "\(String(describing: steps.last))")
        #expect(steps.dropFirst().allSatisfy { $0["cached"] == false })
        // Three hundred steps, built: every step is an image, and the last one holds the whole environment in order.
        let small = Self.envDockerfile(300)
        try small.text.write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        var r = try cli.run(["build", "-q", "-t", "env:1", ctx])
        #expect(r.status == 0, "\(r.output)")
        r = try cli.run(["inspect", "-f", "{{json .Config.Env}}", "env:1"])
        let env = try JSONValue.parse(Array(r.output.utf8)).arrayValue?.compactMap(\.stringValue) ?? []
        // Each name once with its last value; the names set once keep their order (where a name set again goes is
        // the ENV instruction's own business).
        #expect(env.count == small.env.count + 1 && Set(env) == Set(["PATH=/usr/local/bin:/bin"] + small.env), "\(env.prefix(5))")
        #expect(env.filter { !$0.hasPrefix("K0=") } == ["PATH=/usr/local/bin:/bin"] + small.env.filter { !$0.hasPrefix("K0=") })
        #expect(try cli.run(["run", "--rm", "env:1", "sh", "-c", "echo $LAST $K298"]).output == "again199:v1 v298\n")
    }

    /// `# check=error=true`: the build checks' findings fail the build before any step, as BuildKit's; skipping
    /// the rule lets it build, and without the directive they are no reason to stop.
    @Test func checkErrorTrueStopsABuildWithFindings() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/checks"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "# check=error=true\nFROM busybox as base\nCMD echo hi\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        var r = try cli.run(["build", "-q", ctx])
        #expect(r.status != 0)
        #expect(r.output.contains("line 2") && r.output.contains("lint violation found for rules: FromAsCasing, JSONArgsRecommended"), "\(r.output)")
        #expect(!r.output.contains("Step 1/"), "no step ran")
        try "# check=error=true;skip=FromAsCasing,JSONArgsRecommended\nFROM busybox as base\nCMD echo hi\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try cli.run(["build", "-q", ctx])
        #expect(r.status == 0, "\(r.output)")
        try "FROM busybox as base\nCMD echo hi\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try cli.run(["build", "-q", ctx])
        #expect(r.status == 0, "\(r.output)")
    }

    /// As Docker counts and prints them: each global ARG is a step, and so is the LABEL that --label adds.
    @Test func globalArgsAndBuildLabelsAreNumberedSteps() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = try dockerfileContext(cli, "args-ctx", "ARG BASE=busybox\nFROM $BASE\nRUN true\n")
        let r = try cli.run(["build", "--label", "team=core", "-t", "labelled", ctx])
        #expect(r.status == 0, "\(r.output)")
        let headers = r.output.split(separator: "\n").filter { $0.hasPrefix("Step ") }.map(String.init)
        #expect(headers == ["Step 1/4 : ARG BASE=busybox", "Step 2/4 : FROM $BASE", "Step 3/4 : RUN true", "Step 4/4 : LABEL team=core"], "\(r.output)")
        #expect(try cli.run(["inspect", "-f", "{{.Config.Labels}}", "labelled"]).output.contains("team:core"))
    }

    /// A misspelt instruction fails the build before any step runs.
    @Test func anUnknownInstructionStopsTheBuildBeforeItStarts() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = try dockerfileContext(cli, "typo-ctx", "FROM busybox\nRUN echo step-two-ran\nRUNN x\n")
        let r = try cli.run(["build", ctx])
        #expect(r.status != 0 && r.output.contains("line 3") && r.output.contains("Unknown instruction RUNN"), "\(r.output)")
        #expect(!r.output.contains("step-two-ran") && !r.output.contains("Step 1/"), "\(r.output)")
    }

    @Test func failedStepsNameTheLineAndLeaveNothingBehind() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "FROM busybox\nRUN echo about to fail\nRUN echo bad output; exit 3\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        var r = try cli.run(["build", "-t", "broken:1", ctx])
        #expect(r.status != 0)
        #expect(r.output.contains("line 3") && r.output.contains("returned a non-zero code: 3"), "\(r.output)")
        #expect(r.output.contains("bad output"))
        r = try cli.run(["images"])
        #expect(!r.output.contains("broken"))
        let mounts = try procText("/proc/self/mountinfo")
        #expect(!mounts.contains(cli.root), "no mounts left under the store")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: cli.root + "/tmp")
        #expect(leftovers.isEmpty, "\(leftovers)")
        // A missing COPY source names the path; a missing base image says what to do.
        try "FROM busybox\nCOPY nothere.txt /x\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try cli.run(["build", ctx])
        #expect(r.status != 0 && r.output.contains("nothere.txt") && r.output.contains("line 2"), "\(r.output)")
        try "FROM busybox\nADD http://127.0.0.1:9/nothing.txt /x\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try cli.run(["build", ctx])
        #expect(r.status != 0 && r.output.contains("ADD could not fetch http://127.0.0.1:9/nothing.txt") && r.output.contains("line 2"), "\(r.output)")
        try "FROM nosuchimage\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        r = try cli.run(["build", ctx])
        #expect(r.status != 0 && r.output.contains("nosuchimage") && r.output.contains("Import, load or build it first"), "\(r.output)")
    }

    @Test func multiStageCopyIgnoreChownAndTargets() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx + "/src/sub", withIntermediateDirectories: true)
        try "a\n".write(toFile: ctx + "/src/a.txt", atomically: true, encoding: .utf8)
        try "b\n".write(toFile: ctx + "/src/sub/b.txt", atomically: true, encoding: .utf8)
        try "secret\n".write(toFile: ctx + "/src/secret.key", atomically: true, encoding: .utf8)
        try "**/*.key\n".write(toFile: ctx + "/.dockerignore", atomically: true, encoding: .utf8)
        try """
            FROM busybox AS builder
            COPY src /work/
            RUN cat /work/a.txt /work/sub/b.txt > /work/joined && ls /work > /work/listing
            FROM busybox AS unused
            RUN exit 1
            FROM busybox
            COPY --from=builder --chown=nobody:nogroup /work/joined /work/listing /out/
            COPY --chmod=700 src/*.txt /bin/
            ONBUILD RUN echo triggered > /triggered
            VOLUME /data
            RUN echo lost > /data/written-after-volume && echo kept > /kept
            CMD cat /out/joined
            """.write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        var r = try cli.run(["build", "-t", "multi:1", ctx])
        #expect(r.status == 0, "\(r.output)")
        #expect(!r.output.contains("exit 1"), "the unused stage is not built")
        r = try cli.run(["run", "--rm", "multi:1", "sh", "-c", "cat /out/joined /out/listing; stat -c '%U:%G %a' /out/joined /bin/a.txt; ls /work 2>&1; echo $?"])
        #expect(r.output == "a\nb\na.txt\njoined\nlisting\nsub\nnobody:nogroup 644\nroot:root 700\nls: /work: No such file or directory\n1\n", "\(r.output)")
        // A RUN after VOLUME writes to the volume, not the image.
        r = try cli.run(["run", "--rm", "multi:1", "sh", "-c", "ls -A /data; cat /kept"])
        #expect(r.output == "kept\n", "\(r.output)")
        // .dockerignore hid secret.key from COPY src.
        r = try cli.run(["run", "--rm", "multi:1", "ls", "/bin/secret.key"])
        #expect(r.status != 0)
        // --target builds a stage alone; ONBUILD triggers run in a child build.
        r = try cli.run(["build", "--target", "builder", "-t", "multi:builder", ctx])
        #expect(r.status == 0 && r.output.contains("Step 3/3"), "\(r.output)")
        try "FROM multi:1\nRUN cat /triggered\n".write(toFile: ctx + "/Dockerfile.child", atomically: true, encoding: .utf8)
        r = try cli.run(["build", "-f", ctx + "/Dockerfile.child", "-t", "child:1", ctx])
        #expect(r.status == 0 && r.output.contains("triggered"), "\(r.output)")
        r = try cli.run(["inspect", "-f", "{{json .Config.OnBuild}}", "child:1"])
        #expect(r.output == "null\n", "\(r.output)")
    }

    @Test func buildOverJSONRPCStreamsProgressAndExplains() throws {
        guard let cli = try store() else { return }
        defer { cleanup(cli) }
        let ctx = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path + "/ctx"
        try FileManager.default.createDirectory(atPath: ctx, withIntermediateDirectories: true)
        try "v1\n".write(toFile: ctx + "/config.txt", atomically: true, encoding: .utf8)
        try "FROM busybox\nADD config.txt /config.txt\nRUN echo built from $(cat /config.txt)\nCMD cat /config.txt\n".write(
            toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        let service = try StdioService(root: cli.root)
        defer { _ = try? service.terminate() }
        service.sendLine(request(1, "build", ["context": .string(ctx), "tags": ["rpc:1"]]))
        var notifications: [JSONValue] = []
        var reply: JSONValue?
        while reply == nil, let m = try service.reader.json(timeout: 60) {
            if m["method"]?.stringValue == "build/progress" { notifications.append(m["params"] ?? .null) } else { reply = m }
        }
        let result = try #require(reply?["result"], "\(String(describing: reply))")
        // Every notification and the result match the documented schemas.
        let doc = try JSONValue.parse(Array(try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))))
        let validator = SchemaValidator(document: doc)
        let progressSchema = doc["x-notifications"]?.arrayValue?.first { $0["name"] == "build/progress" }?["params"] ?? .null
        for n in notifications { #expect(validator.validate(n, progressSchema).isEmpty, "\(n)") }
        let resultSchema = doc["methods"]?.arrayValue?.first { $0["name"] == "build" }?["result"]?["schema"] ?? .null
        #expect(validator.validate(result, resultSchema).isEmpty, "\(validator.validate(result, resultSchema))")
        #expect(result["RepoTags"] == ["rpc:1"])
        let steps = result["steps"]?.arrayValue ?? []
        #expect(steps.count == 4 && steps[2]["cached"] == false && steps[2]["reason"] == "previous step rebuilt", "\(steps)")
        let output = notifications.filter { $0["event"] == "output" }.compactMap { $0["data"]?.stringValue }
            .compactMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) }.joined()
        #expect(output == "built from v1\n")
        #expect(notifications.contains { $0["event"] == "finished" && $0["step"] == .int(3) && $0["imageId"]?.stringValue?.hasPrefix("sha256:") == true })
        // A dry run after a change predicts, with the reason, and builds nothing.
        try "v2\n".write(toFile: ctx + "/config.txt", atomically: true, encoding: .utf8)
        service.sendLine(request(2, "build", ["context": .string(ctx), "dryRun": true, "progress": false]))
        let dry = try #require(try service.reader.json(timeout: 60)?["result"])
        #expect(dry["Id"] == .null && dry["dryRun"] == true)
        let drySteps = dry["steps"]?.arrayValue ?? []
        #expect(drySteps.count == 4 && drySteps[1]["reason"] == "source changed: config.txt" && drySteps[1]["cached"] == false, "\(drySteps)")
        #expect(drySteps.count == 4 && drySteps[2]["reason"] == "previous step rebuilt")
        // A failing build answers with the build-failed error and its line.
        try "FROM busybox\nRUN exit 7\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        service.sendLine(request(3, "build", ["context": .string(ctx), "progress": false]))
        let failed = try #require(try service.reader.json(timeout: 60)?["error"])
        #expect(failed["code"] == .int(-32008) && failed["data"]?["line"] == "2" && failed["data"]?["exitCode"] == "7", "\(failed)")
        // Cancelling a build stops its running step at once and leaves nothing behind.
        try "FROM busybox\nRUN sleep 60\n".write(toFile: ctx + "/Dockerfile", atomically: true, encoding: .utf8)
        service.sendLine(request(4, "build", ["context": .string(ctx), "progress": false]))
        usleep(700_000)
        let started = Date()
        service.sendLine(#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":4}}"#)
        let cancelled = try #require(try service.reader.json(timeout: 30))
        #expect(cancelled["error"]?["code"] == .int(-32800), "\(cancelled)")
        #expect(Date().timeIntervalSince(started) < 10)
        let mounts = try procText("/proc/self/mountinfo")
        #expect(!mounts.contains(cli.root))
        let sleeping = try cli.run(["run", "--rm", "--network", "host", "busybox", "true"])
        #expect(sleeping.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cli.root + "/tmp").isEmpty)
    }
}
