import Testing

@testable import Dockerfile

/// The typed form of instructions: flags read, arguments in place, source lines kept, and the errors the
/// builder gives for unknown or malformed instructions, found before anything is built.
@Suite struct TypedInstructionTests {
    func typed(_ text: String) throws -> [TypedInstruction] { try DockerfileParser.parse(text).typedInstructions() }

    func one(_ line: String) throws -> Instruction { try #require(try typed(line).first).instruction }

    /// The message of the error reading `text` gives, and the line it names.
    func failure(_ text: String) -> (message: String, line: Int)? {
        do {
            _ = try DockerfileParser.parse(text).typedInstructions()
            return nil
        } catch {
            return (error.message, error.line ?? 0)
        }
    }

    @Test func fromReadsPlatformAndStageName() throws {
        #expect(try one("FROM --platform=linux/amd64 busybox:1 AS Build") == .from(FromArguments(image: "busybox:1", stageName: "build", platform: "linux/amd64")))
        #expect(try one("FROM ${BASE}") == .from(FromArguments(image: "${BASE}", stageName: nil, platform: nil)))
        #expect(failure("FROM a b")?.message == "FROM requires either one or three arguments (FROM image [AS name]).")
        #expect(failure("FROM --pull a")?.message == "FROM does not take --pull; only --platform.")
    }

    @Test func runReadsNetworkAndFoldsHeredocs() throws {
        #expect(try one("RUN --network=none echo hi") == .run(RunArguments(command: .shell("echo hi"), network: RunNetwork.none)))
        #expect(try one("RUN --network=default --security=sandbox [\"a\", \"b\"]") == .run(RunArguments(command: .exec(["a", "b"]), network: nil)))
        #expect(try one("RUN --network=host true") == .run(RunArguments(command: .shell("true"), network: .host)))
        #expect(try one("RUN <<EOF\necho a\nEOF\n") == .run(RunArguments(command: .shell("echo a\n"), network: nil)))
        #expect(try one("RUN cat <<A\nx\nA\n") == .run(RunArguments(command: .shell("cat <<A\nx\nA"), network: nil)))
        #expect(failure("RUN --mount=type=cache,target=/c true")?.message == "RUN --mount is not supported by Estiba yet; copy what the command needs with COPY instead.")
        #expect(failure("RUN --network=bridge true")?.message == "RUN --network=bridge is not supported; use default, none or host.")
        #expect(failure("RUN --security=insecure true")?.message == "RUN --security=insecure is not allowed; builds run sandboxed.")
        #expect(failure("RUN --bogus true")?.message == "Unknown flag: bogus; RUN takes --mount, --network, --security.")
        #expect(failure("RUN []")?.message == "RUN needs a command.")
    }

    @Test func copyAndAddReadTheirFlags() throws {
        let copy = try one("COPY --from=build --chown=1:2 --chmod=755 --link a b* $D/")
        #expect(copy == .copy(CopyArguments(sources: ["a", "b*"], heredocs: [], destination: "$D/", from: "build", chown: "1:2", chmod: "755", link: true)))
        let heredoc = try one("COPY <<one.txt /dst/\nhello\none.txt\n")
        guard case .copy(let c) = heredoc else { Issue.record("not a COPY: \(heredoc)"); return }
        #expect(c.sources.isEmpty && c.heredocs.map(\.name) == ["one.txt"] && c.heredocs.first?.content == "hello\n")
        #expect(try one("ADD --chown=app x.tar /opt/") == .add(CopyArguments(sources: ["x.tar"], heredocs: [], destination: "/opt/", chown: "app")))
        let unknown = failure("FROM x\nRUN true\nCOPY --bogus a /b")
        #expect(unknown?.message == "Unknown flag: bogus; COPY takes --chmod, --chown, --from, --link." && unknown?.line == 3)
        #expect(failure("ADD --from=x a /b")?.message == "Unknown flag: from; ADD takes --checksum, --chmod, --chown, --keep-git-dir, --link.")
        #expect(failure("ADD --checksum=sha256:0 a /b")?.message == "ADD --checksum and --keep-git-dir apply to remote sources, which Estiba does not fetch yet.")
        #expect(failure("COPY a")?.message == "COPY requires at least two arguments: source(s) and destination.")
        #expect(failure("COPY --chmod=999 a /b")?.message == "--chmod=999 is not an octal mode like 755.")
        // A value with a variable is the build's to check.
        #expect(failure("COPY --chmod=$MODE a /b") == nil)
    }

    @Test func healthcheckReadsDurationsAndRetries() throws {
        let h = try one("HEALTHCHECK --interval=30s --timeout=1m30s --start-period=500ms --retries=3 CMD curl -f http://x/")
        #expect(h == .healthcheck(HealthcheckArguments(
            test: ["CMD-SHELL", "curl -f http://x/"], interval: 30_000_000_000, timeout: 90_000_000_000, startPeriod: 500_000_000, retries: 3)))
        #expect(try one("HEALTHCHECK CMD [\"true\"]") == .healthcheck(HealthcheckArguments(test: ["CMD", "true"])))
        #expect(try one("HEALTHCHECK NONE") == .healthcheck(HealthcheckArguments(test: ["NONE"])))
        #expect(failure("HEALTHCHECK --interval=1us CMD true")?.message == "Interval \"--interval\" cannot be less than 1ms (got 1us).")
        #expect(failure("HEALTHCHECK --interval=2562048h CMD true")?.message.hasPrefix("Invalid duration \"--interval=2562048h\"") == true)
        #expect(failure("HEALTHCHECK --retries=-1 CMD true")?.message == "--retries cannot be negative (-1).")
        #expect(failure("HEALTHCHECK --interval=5s NONE")?.message == "HEALTHCHECK NONE takes no other arguments.")
        #expect(failure("HEALTHCHECK RUN x")?.message == "Unknown type \"RUN\" in HEALTHCHECK (try CMD).")
        #expect(failure("HEALTHCHECK --period=1s CMD x")?.message == "Unknown flag: period; HEALTHCHECK takes --interval, --retries, --start-interval, --start-period, --timeout.")
    }

    @Test func metadataInstructionsKeepTheirWordsAsWritten() throws {
        #expect(try one("ENV A=1 B=\"two words\" C=$A") == .env([KeyValue("A", "1"), KeyValue("B", "\"two words\""), KeyValue("C", "$A")]))
        #expect(try one("ENV LEGACY value with spaces") == .env([KeyValue("LEGACY", "value with spaces")]))
        #expect(try one("LABEL a=b") == .label([KeyValue("a", "b")]))
        #expect(try one("ARG A B=2 C=") == .arg([ArgDeclaration("A"), ArgDeclaration("B", "2"), ArgDeclaration("C", "")]))
        #expect(try one("CMD echo $HOME") == .cmd(.shell("echo $HOME")))
        #expect(try one("ENTRYPOINT [\"/bin/app\", \"-v\"]") == .entrypoint(.exec(["/bin/app", "-v"])))
        #expect(try one("CMD") == .cmd(.shell("")))
        #expect(try one("EXPOSE 80/tcp $PORTS") == .expose(["80/tcp", "$PORTS"]))
        #expect(try one("VOLUME [\"/data\", \"/logs\"]") == .volume(["/data", "/logs"]))
        #expect(try one("USER app:app") == .user("app:app"))
        #expect(try one("WORKDIR /srv/$NAME") == .workdir("/srv/$NAME"))
        #expect(try one("STOPSIGNAL SIGKILL") == .stopSignal("SIGKILL"))
        #expect(try one("SHELL [\"/bin/bash\", \"-c\"]") == .shell(["/bin/bash", "-c"]))
        #expect(try one("MAINTAINER someone <s@example.org>") == .maintainer("someone <s@example.org>"))
        #expect(try one("  ONBUILD   RUN echo later  ") == .onbuild(OnbuildTrigger(expression: "RUN echo later")))
    }

    @Test func malformedMetadataInstructionsAreErrors() {
        #expect(failure("ENV --x=1 A=b")?.message == "ENV does not take the flag --x=1.")
        #expect(failure("ARG =x")?.message == "ARG names a variable before \"=\".")
        #expect(failure("ARG")?.message == "ARG requires at least one argument.")
        #expect(failure("EXPOSE 80 abc")?.message == "Invalid port abc: use PORT[/tcp|udp|sctp] or a range FROM-TO.")
        #expect(failure("EXPOSE 90-80")?.message == "Invalid port range 90-80.")
        #expect(failure("EXPOSE \"$P\"") == nil)
        #expect(failure("STOPSIGNAL SIGNOPE")?.message == "Invalid signal SIGNOPE: use a name like SIGTERM or a number.")
        #expect(failure("VOLUME [\"\"]")?.message == "VOLUME specified can not be an empty string.")
        #expect(failure("SHELL /bin/sh -c")?.message == "SHELL requires the arguments to be in JSON form, like SHELL [\"/bin/sh\", \"-c\"].")
        #expect(failure("ONBUILD FROM x")?.message == "FROM isn't allowed as an ONBUILD trigger.")
        #expect(failure("ONBUILD")?.message == "ONBUILD requires an instruction to trigger.")
        #expect(failure("USER")?.message == "USER requires exactly one argument.")
        #expect(failure("STOPSIGNAL \"unterminated")?.message.isEmpty == false)
    }

    /// Unknown instructions are reported before malformed ones, wherever they are.
    @Test func anUnknownInstructionIsTheFirstError() {
        let f = failure("FROM x\nEXPOSE abc\nRUNN y\n")
        #expect(f?.message == "Unknown instruction RUNN; see the Dockerfile reference for the supported ones.")
        #expect(f?.line == 3)
    }

    @Test func eachInstructionKeepsItsLinesAndText() throws {
        let list = try typed("# comment\nFROM busybox\n\nRUN echo a \\\n  b\nCOPY <<f /f\nbody\nf\nCMD [\"sh\"]\n")
        #expect(list.map(\.keyword) == [.from, .run, .copy, .cmd])
        #expect(list.map { [$0.startLine, $0.endLine] } == [[2, 2], [4, 5], [6, 8], [9, 9]])
        #expect(list.map(\.original) == ["FROM busybox", "RUN echo a   b", "COPY <<f /f", "CMD [\"sh\"]"])
        let e = try #require(failure("FROM x\nEXPOSE \\\n  abc\n"))
        #expect(e.line == 2)
    }

    /// One keyword list: the parser's, the analysis' and the typed instructions' agree.
    @Test func theKeywordListIsShared() throws {
        for k in InstructionKeyword.allCases {
            #expect(DockerfileParser.isInstruction(k.name) && DockerfileParser.isInstruction(k.rawValue))
            #expect(InstructionKeyword(k.name) == k)
        }
        #expect(InstructionKeyword.allCases.count == 18)
        #expect(!DockerfileParser.isInstruction("runn") && InstructionKeyword("frob") == nil)
        #expect(InstructionKeyword("StopSignal") == .stopSignal && InstructionKeyword.stopSignal.name == "STOPSIGNAL")
    }

    /// Keywords in any case, as BuildKit lower-cases them (Go's Unicode rules: the Kelvin sign is a k); nothing
    /// else is one.
    @Test func keywordsAreFoundInAnyCaseAndNothingElseIs() {
        #expect(InstructionKeyword("cOpY") == .copy && InstructionKeyword("HEALTHCHECK") == .healthcheck)
        #expect(InstructionKeyword("wor\u{212A}dir") == .workdir && InstructionKeyword("WOR\u{212A}DIR") == .workdir)
        for word in ["", "r", "ru", "runs", "c0py", "COPY ", "from:", "healthchecks", "entrypointx", "étiquette", "ＦＲＯＭ", "r\u{0}n", "[un"] {
            #expect(InstructionKeyword(word) == nil, "\(word)")
        }
    }
}
