import Testing

@testable import Builder
@testable import ImageStore

/// `commit --change` and `import --change` lines: read, checked and applied like the same Dockerfile line.
@Suite struct ChangeInstructionsTests {
    func failure(_ line: String, on config: ContainerConfig = ContainerConfig()) -> String? {
        var c = config
        do {
            try ChangeInstructions.apply([line], to: &c)
            return nil
        } catch {
            #expect(error.instruction == line)
            return error.message
        }
    }

    /// A bad port is refused as a build refuses it (a change once let any text through).
    @Test func exposeIsValidatedLikeInABuild() throws {
        #expect(failure("EXPOSE abc") == "Change \"EXPOSE abc\": Invalid port abc: use PORT[/tcp|udp|sctp] or a range FROM-TO.")
        var config = ContainerConfig()
        try ChangeInstructions.apply(["EXPOSE 8080 53/UDP 1-2"], to: &config)
        #expect(config.exposedPorts == ["1/tcp", "2/tcp", "53/udp", "8080/tcp"])
    }

    /// The shell form runs with the image's SHELL, as in a build.
    @Test func shellFormUsesTheConfigsShell() throws {
        var config = ContainerConfig()
        config.shell = ["/bin/bash", "-c"]
        try ChangeInstructions.apply(["CMD x", "ENTRYPOINT exec app"], to: &config)
        #expect(config.cmd == ["/bin/bash", "-c", "x"])
        #expect(config.entrypoint == ["/bin/bash", "-c", "exec app"])
        var plain = ContainerConfig()
        try ChangeInstructions.apply(["CMD [\"sh\"]", "ENTRYPOINT [\"/init\"]"], to: &plain)
        #expect(plain.cmd == ["sh"] && plain.entrypoint == ["/init"])
    }

    /// ENV replaces a name wherever it was (entries without `=` too) and expands with the image's ENV.
    @Test func envFollowsTheBuildsRules() throws {
        var config = ContainerConfig()
        config.env = ["HOME=/root", "A", "PATH=/bin"]
        try ChangeInstructions.apply(["ENV A=1 BIN=$HOME/bin", "ENV PATH=$BIN:$PATH"], to: &config)
        #expect(config.env == ["HOME=/root", "A=1", "BIN=/root/bin", "PATH=/root/bin:/bin"])
        #expect(failure("ENV $NOPE=1") == "Change \"ENV $NOPE=1\": ENV names must not be empty.")
    }

    @Test func theOtherAllowedInstructions() throws {
        var config = ContainerConfig()
        config.workingDir = "/app"
        try ChangeInstructions.apply(
            ["LABEL a=b", "VOLUME /data", "USER nobody", "WORKDIR sub", "STOPSIGNAL SIGINT", "ONBUILD RUN echo hi"], to: &config)
        #expect(config.labels == ["a": "b"] && config.volumes == ["/data"] && config.user == "nobody")
        #expect(config.workingDir == "/app/sub" && config.stopSignal == "SIGINT" && config.onBuild == ["RUN echo hi"])
        #expect(failure("STOPSIGNAL SIGNOPE") == "Change \"STOPSIGNAL SIGNOPE\": Invalid signal SIGNOPE: use a name like SIGTERM or a number.")
        #expect(failure("USER a:b:c")?.hasPrefix("Change \"USER a:b:c\": Invalid user \"a:b:c\"") == true)
        #expect(failure("ONBUILD FROM x") == "Change \"ONBUILD FROM x\": FROM isn't allowed as an ONBUILD trigger.")
        #expect(failure("CMD --flag x") == "Change \"CMD --flag x\": CMD does not take the flag --flag.")
    }

    @Test func onlyDockersChangeInstructionsAreAccepted() {
        let allowed = "use one of CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR."
        #expect(failure("RUN true") == "RUN is not supported as a change; " + allowed)
        #expect(failure("shell [\"/bin/bash\"]") == "SHELL is not supported as a change; " + allowed)
        #expect(failure("HEALTHCHECK NONE") == "HEALTHCHECK is not supported as a change; " + allowed)
        #expect(failure("CMD a\nCMD b") == "Change \"CMD a\nCMD b\" must be one Dockerfile instruction.")
        #expect(failure("FROBNICATE x") == "Change \"FROBNICATE x\": unknown instruction: FROBNICATE.")
        #expect(failure("ENV A") == "Change \"ENV A\": ENV must have two arguments.")
    }

    /// The same line fails the same way in a Dockerfile and as a change.
    @Test func aChangeFailsWithTheBuildsMessage() async throws {
        let f = try BuildFixture("change")
        defer { f.remove() }
        for line in ["EXPOSE 70000", "EXPOSE 80-70", "STOPSIGNAL 0", "VOLUME [\"\"]", "USER --x", "ENV --x=1 A=b"] {
            var buildMessage = ""
            do { _ = try await f.builder.build(f.options("FROM scratch\n" + line + "\n")) } catch { buildMessage = error.message }
            let prefix = "Change \"\(line)\": "
            let changeMessage = try #require(failure(line))
            #expect(changeMessage.hasPrefix(prefix))
            #expect(buildMessage == "Dockerfile line 2: \(line): " + changeMessage.dropFirst(prefix.count))
        }
    }
}
