import Testing

@testable import Builder

/// The whole Dockerfile is read and checked before any step runs.
@Suite struct BuildCheckTests {
    /// Builds `dockerfile`; returns the error's message and the steps that started.
    func build(_ dockerfile: String) async throws -> (message: String?, started: [Int]) {
        let f = try BuildFixture("check")
        defer { f.remove() }
        let log = EventLog()
        do {
            _ = try await f.builder.build(f.options(dockerfile), onEvent: log.handler)
            return (nil, log.startedSteps)
        } catch {
            return (error.message, log.startedSteps)
        }
    }

    @Test func aMalformedInstructionStopsTheBuildBeforeItStarts() async throws {
        let cases = [
            ("EXPOSE abc", "Dockerfile line 3: EXPOSE abc: Invalid port abc: use PORT[/tcp|udp|sctp] or a range FROM-TO."),
            ("COPY --bogus a /b", "Dockerfile line 3: COPY --bogus a /b: Unknown flag: bogus; COPY takes --chmod, --chown, --from, --link."),
            ("HEALTHCHECK --interval=1e308s CMD true", "Dockerfile line 3: HEALTHCHECK --interval=1e308s CMD true: Invalid duration \"--interval=1e308s\": give a number and a unit (like 30s or 1m30s), at most 2562047h."),
            ("RUN --mount=type=cache,target=/c true", "Dockerfile line 3: RUN --mount=type=cache,target=/c true: RUN --mount is not supported by Estiba yet; copy what the command needs with COPY instead."),
        ]
        for (line, expected) in cases {
            let (message, started) = try await build("FROM scratch\nENV A=1\n\(line)\nLABEL after=1\n")
            #expect(message == expected)
            #expect(started.isEmpty, "\(line): steps \(started) started")
        }
        let (message, started) = try await build("FROM scratch\nENV A=1\nRUNN x\n")
        #expect(message == "Dockerfile line 3: RUNN x: Unknown instruction RUNN; see the Dockerfile reference for the supported ones.")
        #expect(started.isEmpty)
    }

    /// Words with variables are checked when the step expands them.
    @Test func aValueFromAVariableIsCheckedAtItsStep() async throws {
        let (message, started) = try await build("FROM scratch\nARG P=abc\nEXPOSE $P\n")
        #expect(message == "Dockerfile line 3: EXPOSE $P: Invalid port abc: use PORT[/tcp|udp|sctp] or a range FROM-TO.")
        #expect(started == [1, 2, 3])
    }

    @Test func aDryRunOfMetadataStepsNamesThemAsHistoryWill() async throws {
        let f = try BuildFixture("dry")
        defer { f.remove() }
        var options = f.options("FROM scratch\nENV A=1 B=$A\nWORKDIR app\nSHELL [\"/bin/bash\", \"-c\"]\nCMD run\nEXPOSE 80 22\n")
        options.dryRun = true
        let result = try await f.builder.build(options)
        #expect(result.steps.map(\.createdBy) == [
            nil, "/bin/sh -c #(nop)  ENV A=1 B=", "/bin/sh -c #(nop) WORKDIR /app", "/bin/bash -c #(nop)  SHELL [/bin/bash -c]",
            "/bin/bash -c #(nop)  CMD [\"/bin/bash\" \"-c\" \"run\"]", "/bin/bash -c #(nop)  EXPOSE 22 80",
        ])
    }
}
