import System
import EstibaJSON
import Testing

@testable import Builder
@testable import Dockerfile
@testable import ImageStore

/// Each metadata instruction through the one applier: what it expands, checks and sets, and how the cache and
/// history name it.
@Suite struct ConfigApplierTests {
    func applier(_ env: [String: String] = [:], cmdSet: Bool = false) -> ConfigApplier {
        ConfigApplier(lexer: ShellLexer(), environment: env, cmdSet: cmdSet)
    }

    /// The change a line makes to `config`, and the config after it.
    func apply(_ line: String, to config: ContainerConfig = ContainerConfig(), env: [String: String] = [:], cmdSet: Bool = false)
        throws -> (change: ConfigChange, config: ContainerConfig)
    {
        let change = try #require(try applier(env, cmdSet: cmdSet).change(try instruction(line), on: config))
        var after = config
        change.apply(to: &after)
        return (change, after)
    }

    func failure(_ line: String, env: [String: String] = [:]) throws -> EstibaError? {
        let typed = try instruction(line)
        do {
            _ = try applier(env).change(typed, on: ContainerConfig())
            return nil
        } catch {
            return error
        }
    }

    @Test func envExpandsWithTheValuesBeforeItAndMovesARedefinedNameToTheEnd() throws {
        var config = ContainerConfig()
        config.env = ["A=old", "PATH=/bin", "BARE"]
        let (change, after) = try apply("ENV A=1 B=${A}x BARE=set", to: config, env: ["A": "old"])
        #expect(change == .env([KeyValue("A", "1"), KeyValue("B", "oldx"), KeyValue("BARE", "set")]))
        #expect(change.text == "ENV A=1 B=oldx BARE=set")
        #expect(after.env == ["PATH=/bin", "A=1", "B=oldx", "BARE=set"])
        #expect(try failure("ENV $EMPTY=x")?.message == "ENV names must not be empty.")
    }

    @Test func labelSetsEachPair() throws {
        var config = ContainerConfig()
        config.labels = ["keep": "1", "a": "old"]
        let (change, after) = try apply("LABEL a=b \"c d\"=e", to: config)
        #expect(change.text == "LABEL a=b c d=e")
        #expect(after.labels == ["keep": "1", "a": "b", "c d": "e"])
    }

    @Test func cmdAndEntrypointUseTheConfigsShellForTheShellForm() throws {
        var config = ContainerConfig()
        config.shell = ["/bin/bash", "-eu", "-c"]
        config.cmd = ["old"]
        #expect(try apply("CMD echo $HOME", to: config).config.cmd == ["/bin/bash", "-eu", "-c", "echo $HOME"])
        #expect(try apply("CMD echo hi").config.cmd == ["/bin/sh", "-c", "echo hi"])
        #expect(try apply("CMD [\"a\", \"b\"]").change.text == "CMD [\"a\" \"b\"]")
        #expect(try apply("CMD", to: config).config.cmd == [])
        // An ENTRYPOINT resets CMD unless one was set before it in the stage.
        let reset = try apply("ENTRYPOINT [\"/app\"]", to: config)
        #expect(reset.change.text == "ENTRYPOINT [\"/app\"]")
        #expect(reset.config.entrypoint == ["/app"] && reset.config.cmd == nil)
        let kept = try apply("ENTRYPOINT /app -v", to: config, cmdSet: true)
        #expect(kept.config.entrypoint == ["/bin/bash", "-eu", "-c", "/app -v"] && kept.config.cmd == ["old"])
        #expect(try apply("ENTRYPOINT []", to: config).config.entrypoint == nil)
    }

    @Test func exposeChecksPortsAfterExpansion() throws {
        var config = ContainerConfig()
        config.exposedPorts = ["22/tcp"]
        let (change, after) = try apply("EXPOSE 80 $MORE 8000-8001/UDP", to: config, env: ["MORE": "53/udp 443"])
        #expect(change.text == "EXPOSE 443 53/udp 80 8000-8001/UDP")
        #expect(after.exposedPorts == ["22/tcp", "443/tcp", "53/udp", "80/tcp", "8000/udp", "8001/udp"])
        let bad = try failure("EXPOSE $P", env: ["P": "abc"])
        #expect(bad?.message == "Invalid port abc: use PORT[/tcp|udp|sctp] or a range FROM-TO." && bad?.code == .syntax)
        #expect(try failure("EXPOSE $NONE")?.message == "EXPOSE requires at least one argument.")
    }

    @Test func volumeAddsPathsOnce() throws {
        var config = ContainerConfig()
        config.volumes = ["/data"]
        let (change, after) = try apply("VOLUME [\"/logs\", \"/data\"]", to: config)
        #expect(change.text == "VOLUME [/logs /data]")
        #expect(after.volumes == ["/data", "/logs"])
        #expect(try failure("VOLUME $NONE")?.message == "VOLUME specified can not be an empty string.")
    }

    @Test func userIsCheckedAndEmptyClearsIt() throws {
        #expect(try apply("USER ${U}:staff", env: ["U": "app"]).config.user == "app:staff")
        var config = ContainerConfig()
        config.user = "app"
        #expect(try apply("USER $NONE", to: config).config.user == nil)
        let bad = try failure("USER a:b:c")
        #expect(bad?.code == .invalidArgument && bad?.message.hasPrefix("Invalid user \"a:b:c\"") == true)
    }

    @Test func workdirResolvesAgainstTheCurrentOne() throws {
        var config = ContainerConfig()
        config.workingDir = "/app"
        let (change, after) = try apply("WORKDIR sub/../$D", to: config, env: ["D": "x"])
        #expect(change == .workdir("/app/x") && change.text == "WORKDIR /app/x" && after.workingDir == "/app/x")
        #expect(try apply("WORKDIR /srv//a/").config.workingDir == "/srv/a")
        #expect(try apply("WORKDIR rel").config.workingDir == "/rel")
    }

    @Test func stopSignalIsChecked() throws {
        #expect(try apply("STOPSIGNAL $S", env: ["S": "SIGUSR1"]).config.stopSignal == "SIGUSR1")
        #expect(try apply("STOPSIGNAL 9").change.text == "STOPSIGNAL 9")
        #expect(try failure("STOPSIGNAL $S", env: ["S": "65"])?.message == "Invalid signal 65: use a name like SIGTERM or a number.")
    }

    @Test func onbuildAppendsTheTrigger() throws {
        var config = ContainerConfig()
        config.onBuild = ["RUN first"]
        let (change, after) = try apply("ONBUILD COPY . /src", to: config)
        #expect(change.text == "ONBUILD COPY . /src" && after.onBuild == ["RUN first", "COPY . /src"])
    }

    @Test func shellSetsTheShell() throws {
        let (change, after) = try apply("SHELL [\"/bin/bash\", \"-c\"]")
        #expect(change.text == "SHELL [\"/bin/bash\" \"-c\"]" && after.shell == ["/bin/bash", "-c"])
    }

    @Test func healthcheckTakesZeroFieldsFromTheBaseImage() throws {
        var config = ContainerConfig()
        config.healthcheck = .object(["Test": JSONValue(["CMD", "old"]), "Interval": .int(5_000_000_000), "Retries": .int(2), "Timeout": .int(0)])
        let (change, after) = try apply("HEALTHCHECK --timeout=3s CMD true", to: config)
        #expect(change.text == "HEALTHCHECK &{[\"CMD-SHELL\" \"true\"] \"0s\" \"3s\" \"0s\" '\\x00'}")
        let expected: JSONValue = .object([
            "Test": JSONValue(["CMD-SHELL", "true"]), "Interval": .int(5_000_000_000), "Timeout": .int(3_000_000_000), "Retries": .int(2),
        ])
        #expect(after.healthcheck == expected)
        #expect(after.healthcheck?.objectValue?.keys == ["Test", "Interval", "Timeout", "Retries"])
        #expect(try apply("HEALTHCHECK NONE").config.healthcheck == .object(["Test": JSONValue(["NONE"])]))
    }

    @Test func maintainerSetsTheImagesAuthor() throws {
        let change = try #require(try applier().change(try instruction("MAINTAINER someone"), on: ContainerConfig()))
        var image = ImageConfig(architecture: "amd64")
        change.apply(to: &image)
        #expect(image.author == "someone" && change.text == "MAINTAINER someone")
    }

    @Test func otherInstructionsAreNotConfigChanges() throws {
        for line in ["FROM x", "RUN true", "COPY a b", "ADD a b", "ARG A"] {
            #expect(try applier().change(try instruction(line), on: ContainerConfig()) == nil, "\(line)")
        }
    }

    @Test func theEnvironmentTableReadsEntriesLikeTheConfig() {
        #expect(ConfigApplier.values(of: ["A=1", "B", "A=2", "C=x=y"]) == ["A": "2", "B": "", "C": "x=y"])
    }
}
