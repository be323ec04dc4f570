import Dockerfile
import Testing

/// BuildKit's build checks, with the Dockerfiles and expected warnings of BuildKit's own check tests
/// (`frontend/dockerfile/dockerfile_check_test.go`): rule name, line and message, as `line Rule: message`.
@Suite struct BuildChecksTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var dockerfile: String
        var expected: [String]
        var testDescription: String { name }

        init(_ name: String, _ dockerfile: String, _ expected: [String] = []) {
            self.name = name
            self.dockerfile = dockerfile
            self.expected = expected
        }
    }

    /// The file's diagnostics as `line Rule: message`, ordered as BuildKit's tests order them (line, then message).
    static func checks(_ text: String, severity: DiagnosticSeverity = .warning) -> [String] {
        DockerfileAnalysis(DockerfileParser.parse(text)).diagnostics.filter { $0.severity == severity }
            .sorted { ($0.startLine, $0.message) < ($1.startLine, $1.message) }
            .map { "\($0.startLine) \($0.code): \($0.message)" }
    }

    static let stageNames: [Case] = [
        Case("StageNameCasing and FromAsCasing", """

            # warning: stage name should be lowercase
            #
            FROM scratch AS BadStageName

            # warning: 'as' should match 'FROM' cmd casing.
            #
            FROM scratch as base2

            FROM scratch AS base3

            """,
            ["4 StageNameCasing: Stage name 'BadStageName' should be lowercase",
             "8 FromAsCasing: 'as' and 'FROM' keywords' casing do not match"]),
        Case("FromAsCasing with lower-case from", """

            # warning: 'AS' should match 'from' cmd casing.
            #
            from scratch AS base

            from scratch as base2

            """,
            ["4 FromAsCasing: 'AS' and 'from' keywords' casing do not match"]),
        Case("DuplicateStageName", "\nFROM scratch AS b\nFROM scratch AS b\n",
            ["3 DuplicateStageName: Duplicate stage name \"b\", stage names should be unique"]),
        Case("DuplicateStageName, distinct names", "\nFROM scratch AS b1\nFROM scratch AS b2\n"),
        Case("ReservedStageName", "\nFROM scratch AS scratch\nFROM scratch AS context\n",
            ["2 ReservedStageName: Stage name should not use the same name as reserved stage \"scratch\"",
             "3 ReservedStageName: Stage name should not use the same name as reserved stage \"context\""]),
        Case("ReservedStageName, scratch as base only", "\nFROM scratch\nFROM scratch AS a\n"),
    ]

    static let casing: [Case] = [
        Case("mixed-case FROM", "\n# warning: 'FROM' should be either lowercased or uppercased\n#\nFrom scratch as base\nFROM scratch AS base2\n",
            ["4 ConsistentInstructionCasing: Command 'From' should match the case of the command majority (uppercase)"]),
        Case("lower-case copy among upper", "\nFROM scratch\n# warning: 'copy' should match command majority's casing (uppercase)\ncopy Dockerfile /foo\nCOPY Dockerfile /bar\n",
            ["4 ConsistentInstructionCasing: Command 'copy' should match the case of the command majority (uppercase)"]),
        Case("mixed-case frOM among lower", "\n# warning: 'frOM' should be either lowercased or uppercased\n#\nfrOM scratch as base\nfrom scratch as base2\n",
            ["4 ConsistentInstructionCasing: Command 'frOM' should match the case of the command majority (lowercase)"]),
        Case("a tie counts as upper case", "\nfrom scratch\n# warning: 'COPY' should match command majority's casing (lowercase)\nCOPY Dockerfile /foo\ncopy Dockerfile /bar\n",
            ["4 ConsistentInstructionCasing: Command 'COPY' should match the case of the command majority (lowercase)"]),
        Case("lower-case from among upper", "\n# warning: 'from' should match command majority's casing (uppercase)\n#\nfrom scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\nCOPY Dockerfile /baz\n",
            ["4 ConsistentInstructionCasing: Command 'from' should match the case of the command majority (uppercase)"]),
        Case("upper-case FROM among lower", "\n# warning: 'FROM' should match command majority's casing (lowercase)\n#\nFROM scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\ncopy Dockerfile /baz\n",
            ["4 ConsistentInstructionCasing: Command 'FROM' should match the case of the command majority (lowercase)"]),
        Case("all lower", "\nfrom scratch\ncopy Dockerfile /foo\ncopy Dockerfile /bar\n"),
        Case("all upper", "\nFROM scratch\nCOPY Dockerfile /foo\nCOPY Dockerfile /bar\n"),
        Case("heredoc body is not an instruction", "\nFROM scratch\nRUN <<'EOT'\nenv\nEOT\n"),
    ]

    static let commands: [Case] = [
        Case("JSONArgsRecommended CMD", "\nFROM scratch\nCMD mycommand\n",
            ["3 JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals"]),
        Case("JSONArgsRecommended ENTRYPOINT", "\nFROM scratch\nENTRYPOINT mycommand\n",
            ["3 JSONArgsRecommended: JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals"]),
        Case("SHELL silences JSONArgsRecommended (CMD)", "\nFROM scratch\nSHELL [\"/usr/bin/customshell\"]\nCMD mycommand\n"),
        Case("SHELL silences JSONArgsRecommended (ENTRYPOINT)", "\nFROM scratch\nSHELL [\"/usr/bin/customshell\"]\nENTRYPOINT mycommand\n"),
        Case("a base stage's SHELL silences JSONArgsRecommended", "\nFROM scratch AS base\nSHELL [\"/usr/bin/customshell\"]\n\nFROM base\nCMD mycommand\n"),
        Case("a base stage's SHELL silences JSONArgsRecommended (ENTRYPOINT)", "\nFROM scratch AS base\nSHELL [\"/usr/bin/customshell\"]\n\nFROM base\nENTRYPOINT mycommand\n"),
        Case("MaintainerDeprecated", "\nFROM scratch\nMAINTAINER me@example.org\n",
            ["3 MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label"]),
        Case("a label instead of MAINTAINER", "\nFROM scratch\nLABEL org.opencontainers.image.authors=\"me@example.org\"\n"),
        Case("a comment skips JSONArgsRecommended (CMD)", "\nFROM scratch\n# check=skip=JSONArgsRecommended\nCMD mycommand\n"),
        Case("a comment skips JSONArgsRecommended (ENTRYPOINT)", "\nFROM scratch\n# check=skip=JSONArgsRecommended\nENTRYPOINT mycommand\n"),
        Case("a comment skips MaintainerDeprecated", "\nFROM scratch\n# check=skip=MaintainerDeprecated\nMAINTAINER me@example.org\n"),
        Case("MultipleInstructionsDisallowed", """

            FROM scratch
            ENTRYPOINT ["/myapp"]
            ENTRYPOINT ["/myotherapp"]
            CMD ["/myapp"]
            CMD ["/myotherapp"]
            HEALTHCHECK CMD ["/myapp"]
            HEALTHCHECK CMD ["/myotherapp"]

            """,
            ["3 MultipleInstructionsDisallowed: Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used",
             "5 MultipleInstructionsDisallowed: Multiple CMD instructions should not be used in the same stage because only the last one will be used",
             "7 MultipleInstructionsDisallowed: Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used"]),
        Case("MultipleInstructionsDisallowed across other instructions", """

            FROM scratch
            ENTRYPOINT ["/myapp"]
            CMD ["/myapp"]
            HEALTHCHECK CMD ["/myapp"]
            COPY <<EOF /a.txt
            Hello, World!
            EOF
            ENTRYPOINT ["/myotherapp"]
            CMD ["/myotherapp"]
            HEALTHCHECK CMD ["/myotherapp"]

            """,
            ["3 MultipleInstructionsDisallowed: Multiple ENTRYPOINT instructions should not be used in the same stage because only the last one will be used",
             "4 MultipleInstructionsDisallowed: Multiple CMD instructions should not be used in the same stage because only the last one will be used",
             "5 MultipleInstructionsDisallowed: Multiple HEALTHCHECK instructions should not be used in the same stage because only the last one will be used"]),
        Case("MultipleInstructionsDisallowed is per stage", """

            FROM scratch AS a
            ENTRYPOINT ["/myapp"]
            CMD ["/myapp"]
            HEALTHCHECK CMD ["/myapp"]

            FROM a AS b
            ENTRYPOINT ["/myotherapp"]
            CMD ["/myotherapp"]
            HEALTHCHECK CMD ["/myotherapp"]

            """),
        Case("LegacyKeyValueFormat", "\nFROM scratch\nENV testkey value\nLABEL key value\n",
            ["3 LegacyKeyValueFormat: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format",
             "4 LegacyKeyValueFormat: \"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format"]),
        Case("key=value format", "\nFROM scratch\nENV testkey=value\nLABEL key=value\n"),
        Case("LegacyKeyValueFormat in an unreachable stage", "\nFROM scratch AS a\n\nFROM a AS b\nENV testkey value\nLABEL key value\n\nFROM a AS c\n",
            ["5 LegacyKeyValueFormat: \"ENV key=value\" should be used instead of legacy \"ENV key value\" format",
             "6 LegacyKeyValueFormat: \"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format"]),
        Case("comments skip LegacyKeyValueFormat", "\nFROM scratch\n# check=skip=LegacyKeyValueFormat\nENV testkey value\n# check=skip=LegacyKeyValueFormat\nLABEL key value\n"),
        Case("NoEmptyContinuation", "\nFROM scratch\n# warning: empty continuation line\nCOPY Dockerfile \\\n\n.\nCOPY Dockerfile \\\n.\n",
            ["6 NoEmptyContinuation: Empty continuation line"]),
        Case("ExposeProtoCasing", "\nFROM scratch\nEXPOSE 80/TcP 8080/TCP 8080/udp\n",
            ["3 ExposeProtoCasing: Defined protocol '80/TcP' in EXPOSE instruction should be lowercase",
             "3 ExposeProtoCasing: Defined protocol '8080/TCP' in EXPOSE instruction should be lowercase"]),
        Case("ExposeInvalidFormat", "\nFROM scratch\nEXPOSE 127.0.0.1:80:80 [::1]:8080:8080 5000:5000 8000\n",
            ["3 ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '127.0.0.1:80:80'",
             "3 ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '5000:5000'",
             "3 ExposeInvalidFormat: EXPOSE instruction should not define an IP address or host-port mapping, found '[::1]:8080:8080'"]),
    ]

    static let secrets: [Case] = [
        Case("SecretsUsedInArgOrEnv", """
            # check=skip=InvalidDefinitionDescription

            FROM scratch
            ARG SECRET_PASSPHRASE
            ENV SUPER_Secret=foo
            ENV password=bar secret=baz
            ARG super_duper_secret_token=foo auth=bar
            ENV apikey=bar sunflower=foo
            ENV git_key=
            ENV PUBLIC_KEY=
            ARG public_token
            ARG SECRET_PASSPHRASE_FILE
            ENV password_file=bar secret_File=baz
            ARG AUTH_MODULE_VERSION
            # check=skip=SecretsUsedInArgOrEnv // allow secret in environment
            ENV password=bar
            # check=skip=SecretsUsedInArgOrEnv // allow secret in arg
            ARG password
            # check=skip=all // is local to only this instruction
            ENV alternate_password=bar
            # check=skip=all // is local to only this instruction
            ARG alternate_password

            """,
            ["4 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"SECRET_PASSPHRASE\")",
             "5 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV \"SUPER_Secret\")",
             "6 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV \"password\")",
             "6 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV \"secret\")",
             "7 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"auth\")",
             "7 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ARG \"super_duper_secret_token\")",
             "8 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV \"apikey\")",
             "9 SecretsUsedInArgOrEnv: Do not use ARG or ENV instructions for sensitive data (ENV \"git_key\")"]),
    ]

    static let fromVariables: [Case] = [
        Case("a declared base", "\nARG base=scratch\nFROM $base\nCOPY Dockerfile .\n"),
        Case("a declared BUILDPLATFORM", "\nARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n"),
        Case("a predefined BUILDPLATFORM", "\nFROM --platform=$BUILDPLATFORM scratch\nCOPY Dockerfile .\n"),
        Case("a declared empty suffix", "\nARG DEBUG\nFROM scratch${DEBUG}\nCOPY Dockerfile .\n"),
        Case("a declared ARG with a default in the word", "\nARG DEBUG\nFROM scra${DEBUG:-tch}\nCOPY Dockerfile .\n"),
        Case("a declared empty ARG", "\nARG DEBUG=\"\"\nFROM scratch${DEBUG-@bogus}\nCOPY Dockerfile .\n"),
        Case("UndefinedArgInFrom with a suggestion", "\nFROM --platform=$BULIDPLATFORM scratch\nCOPY Dockerfile .\n",
            ["2 UndefinedArgInFrom: FROM argument 'BULIDPLATFORM' is not declared (did you mean BUILDPLATFORM?)"]),
        Case("UndefinedArgInFrom suggests a global ARG", "\nARG MY_OS=linux\nARG MY_ARCH=amd64\nFROM --platform=linux/${MYARCH} busybox\nCOPY Dockerfile .\n",
            ["4 UndefinedArgInFrom: FROM argument 'MYARCH' is not declared (did you mean MY_ARCH?)"]),
        Case("UndefinedArgInFrom in the image", "\nARG tag=latest\nFROM busybox:${tag}${version} AS b\nCOPY Dockerfile .\n",
            ["3 UndefinedArgInFrom: FROM argument 'version' is not declared"]),
        Case("RedundantTargetPlatform", "\nFROM --platform=$TARGETPLATFORM scratch\n",
            ["2 RedundantTargetPlatform: Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"]),
        Case("RedundantTargetPlatform with braces", "\nFROM --platform=${TARGETPLATFORM} scratch\n",
            ["2 RedundantTargetPlatform: Setting platform to predefined ${TARGETPLATFORM} in FROM is redundant as this is the default behavior"]),
        Case("the directive skips RedundantTargetPlatform", "\n# check=skip=RedundantTargetPlatform\nFROM --platform=$TARGETPLATFORM scratch\n"),
        Case("InvalidDefaultArgInFrom, no tag", "\nARG VERSION\nFROM busybox:$VERSION\n",
            ["3 InvalidDefaultArgInFrom: Default value for ARG busybox:$VERSION results in empty or invalid base image name"]),
        Case("InvalidDefaultArgInFrom, no image", "\nARG IMAGE\nFROM $IMAGE\n",
            ["3 InvalidDefaultArgInFrom: Default value for ARG $IMAGE results in empty or invalid base image name"]),
        Case("InvalidDefaultArgInFrom, a default ending in a colon", "\nARG SFX=\"box:\"\nFROM busy${SFX}\n",
            ["3 InvalidDefaultArgInFrom: Default value for ARG busy${SFX} results in empty or invalid base image name"]),
        Case("a default tag", "\nARG VERSION=\"latest\"\nFROM busybox:${VERSION}\n"),
        Case("an empty default suffix", "\nARG BUSYBOX_VARIANT=\"\"\nFROM busybox:stable${BUSYBOX_VARIANT}\n"),
        Case("an unset suffix", "\n\tARG BUSYBOX_VARIANT\n\tFROM busybox:stable${BUSYBOX_VARIANT}\n\t"),
        Case("FromPlatformFlagConstDisallowed", "\nFROM --platform=linux/amd64 scratch\n",
            ["2 FromPlatformFlagConstDisallowed: FROM --platform flag should not use constant value \"linux/amd64\""]),
        Case("a stage named for its architecture", "\nFROM --platform=linux/amd64 scratch AS my_amd64_stage\n"),
        Case("a stage named for its system", "\nFROM --platform=linux/amd64 scratch AS linux\n"),
    ]

    static let stageVariables: [Case] = [
        Case("a declared ARG", "\nFROM scratch\nARG foo\nCOPY Dockerfile${foo} .\n"),
        Case("an ARG of the base stage", "\nFROM scratch AS base\nARG foo=Dockerfile\n\nFROM base\nCOPY $foo .\n"),
        Case("RUN's variables are the shell's", "\nFROM scratch\nRUN echo $PATH\n"),
        Case("UndefinedVar before the ARG", "\nFROM scratch\nCOPY $foo .\nARG foo=bar\nRUN echo $foo\n",
            ["3 UndefinedVar: Usage of undefined variable '$foo'"]),
        Case("UndefinedVar with a suggestion", "\nFROM scratch\nARG DIR_BINARIES=binaries/\nARG DIR_ASSETS=assets/\nARG DIR_CONFIG=config/\nCOPY $DIR_ASSET .\n\t",
            ["6 UndefinedVar: Usage of undefined variable '$DIR_ASSET' (did you mean $DIR_ASSETS?)"]),
        Case("UndefinedVar suggests PATH", "\nFROM scratch\nENV PATH=$PAHT:/tmp/bin\n\t\t",
            ["3 UndefinedVar: Usage of undefined variable '$PAHT' (did you mean $PATH?)"]),
        Case("UndefinedVar in each stage", "\nFROM scratch AS first\nCOPY $foo .\n\nFROM scratch AS second\nCOPY $bar .\n",
            ["3 UndefinedVar: Usage of undefined variable '$foo'", "6 UndefinedVar: Usage of undefined variable '$bar'"]),
        Case("WorkdirRelativePath", "\nFROM scratch\nWORKDIR app/\n",
            ["3 WorkdirRelativePath: Relative workdir \"app/\" can have unexpected results if the base image changes"]),
        Case("an absolute WORKDIR in the base stage", "\nFROM scratch AS a\nWORKDIR /app\n\nFROM a AS b\nWORKDIR subdir/\n"),
        Case("a comment skips WorkdirRelativePath", "\nFROM scratch\n# check=skip=WorkdirRelativePath\nWORKDIR app/\n"),
    ]

    static let directives: [Case] = [
        Case("skip=all", "#check=skip=all\nFROM scratch as base\ncopy Dockerfile .\n"),
        Case("skip=all;error=true", "#check=skip=all;error=true\nFROM scratch as base\ncopy Dockerfile .\n"),
        Case("skip two rules", "#check=skip=ConsistentInstructionCasing,FromAsCasing\nFROM scratch as base\ncopy Dockerfile .\n"),
        Case("skip two rules;error=true", "#check=skip=ConsistentInstructionCasing,FromAsCasing;error=true\nFROM scratch as base\ncopy Dockerfile .\n"),
        Case("skip one rule", "#check=skip=ConsistentInstructionCasing\nFROM scratch as base\ncopy Dockerfile .\n",
            ["2 FromAsCasing: 'as' and 'FROM' keywords' casing do not match"]),
    ]

    @Test(arguments: stageNames) func stageNameChecks(_ c: Case) { #expect(Self.checks(c.dockerfile) == c.expected) }
    @Test(arguments: casing) func consistentInstructionCasing(_ c: Case) { #expect(Self.checks(c.dockerfile) == c.expected) }
    @Test(arguments: commands) func instructionChecks(_ c: Case) { #expect(Self.checks(c.dockerfile) == c.expected) }
    @Test(arguments: secrets) func secretsUsedInArgOrEnv(_ c: Case) { #expect(Self.checks(c.dockerfile) == c.expected) }
    @Test(arguments: fromVariables) func fromVariableChecks(_ c: Case) { #expect(Self.checks(c.dockerfile) == c.expected) }
    @Test(arguments: stageVariables) func stageVariableChecks(_ c: Case) { #expect(Self.checks(c.dockerfile) == c.expected) }
    @Test(arguments: directives) func checkDirectiveSkipsRules(_ c: Case) { #expect(Self.checks(c.dockerfile) == c.expected) }

    @Test func errorTrueMakesTheChecksErrors() {
        let text = "#check=skip=ConsistentInstructionCasing;error=true\nFROM scratch as base\ncopy Dockerfile .\n"
        #expect(Self.checks(text, severity: .error) == ["2 FromAsCasing: 'as' and 'FROM' keywords' casing do not match"])
        #expect(Self.checks(text).isEmpty)
        #expect(DockerfileAnalysis(DockerfileParser.parse(text)).hasErrors)
        // Skipped rules stay silent; error=false keeps warnings.
        #expect(Self.checks("#check=skip=all;error=true\nFROM scratch as base\n", severity: .error).isEmpty)
        #expect(Self.checks("# check=error=false\nFROM scratch as base\n") == ["2 FromAsCasing: 'as' and 'FROM' keywords' casing do not match"])
        // A comment above an instruction skips rules; it does not make them errors.
        #expect(Self.checks("FROM scratch\n# check=error=true\nCMD x\n").count == 1)
    }

    @Test func theDirectiveIsNotTheFirstInstructionsComment() {
        // The directive's whole value is read ("FromAsCasing // why" names no rule); an instruction's comment
        // ends at its first space.
        #expect(Self.checks("# check=skip=FromAsCasing // why\nFROM scratch as a\n") == [
            "2 FromAsCasing: 'as' and 'FROM' keywords' casing do not match"
        ])
        #expect(Self.checks("FROM scratch\n# check=skip=FromAsCasing // why\nFROM scratch as a\n").isEmpty)
    }

    @Test func aMalformedDirectiveIsAnError() {
        #expect(Self.checks("# check=skip=all;bogus\nFROM scratch\n", severity: .error) == [
            "1 invalid-directive: failed to parse check options: invalid check option \"bogus\""
        ])
        #expect(Self.checks("# check=error=maybe\nFROM scratch\n", severity: .error) == [
            "1 invalid-directive: failed to parse check options: failed to parse check option \"error=maybe\": strconv.ParseBool: parsing \"maybe\": invalid syntax"
        ])
        #expect(Self.checks("# check=frobnicate=1\nFROM scratch\n", severity: .error) == [
            "1 invalid-directive: failed to parse check options: invalid check option \"frobnicate\""
        ])
    }

    @Test func checksSitOnTheInstructionsRange() throws {
        let analysis = DockerfileAnalysis(DockerfileParser.parse("FROM scratch\nCMD [\"a\"]\nCMD b \\\n  c\n"))
        let repeated = try #require(analysis.diagnostics.first { $0.code == "MultipleInstructionsDisallowed" })
        // On the CMD that is overridden, not on the one that wins.
        #expect(repeated.range == SourceRange(start: SourcePosition(line: 1, character: 0), end: SourcePosition(line: 1, character: 9)))
        #expect(repeated.severity == .warning)
        let json = try #require(analysis.diagnostics.first { $0.code == "JSONArgsRecommended" })
        #expect(json.startLine == 3 && json.endLine == 4)
        #expect(json.range == SourceRange(start: SourcePosition(line: 2, character: 0), end: SourcePosition(line: 3, character: 3)))
    }

    @Test func aRepeatedStageNameIsAWarningAsInBuildKit() {
        #expect(Self.checks("FROM scratch AS a\nFROM scratch AS a\n", severity: .error).isEmpty)
        #expect(Self.checks("FROM scratch AS a\nFROM scratch AS A\n") == [
            "2 DuplicateStageName: Duplicate stage name \"a\", stage names should be unique",
            "2 StageNameCasing: Stage name 'A' should be lowercase",
        ])
    }

    @Test func variablesOfAnUnknownImageAreNotJudged() {
        // The image's environment may set any name (BuildKit reads it from the image; the analysis cannot).
        #expect(Self.checks("FROM alpine\nCOPY $foo .\nWORKDIR $HOME/app\n").isEmpty)
        // A stage built on an earlier stage knows what that stage set.
        #expect(Self.checks("FROM scratch AS a\nENV SOURCE=1\nFROM a\nCOPY $SOURCE $TARGET /\n") == ["4 UndefinedVar: Usage of undefined variable '$TARGET'"])
        // An ENV's own pairs are not yet set for one another; a global ARG must be declared again in the stage.
        #expect(Self.checks("ARG GLOBAL=1\nFROM scratch\nENV a=1 b=$a\nUSER $GLOBAL\n") == [
            "3 UndefinedVar: Usage of undefined variable '$a'", "4 UndefinedVar: Usage of undefined variable '$GLOBAL'",
        ])
        #expect(Self.checks("FROM scratch\nRUN --mount=type=secret,id=$SECRET_ID echo $NOT_JUDGED\n") == [
            "2 UndefinedVar: Usage of undefined variable '$SECRET_ID'"
        ])
        // An expanding here-document and COPY's flags are the builder's; a quoted delimiter keeps the body.
        #expect(Self.checks("FROM scratch\nCOPY <<EOF /a\nhi $NAME\nEOF\nCOPY <<\"EOF\" /b\nhi $KEPT\nEOF\nCOPY --chown=$OWNER a /b\n") == [
            "2 UndefinedVar: Usage of undefined variable '$NAME'", "8 UndefinedVar: Usage of undefined variable '$OWNER'",
        ])
        #expect(Self.checks("ARG G=1\nFROM scratch\nARG G\nUSER $G\nARG TARGETARCH\nWORKDIR /$TARGETARCH\n").isEmpty)
    }

    @Test func fromChecksHonourCommentsAboveTheStage() {
        #expect(Self.checks("# check=skip=UndefinedArgInFrom\nFROM busybox$nope\n").isEmpty)
        #expect(Self.checks("FROM busybox$nope\n") == ["1 UndefinedArgInFrom: FROM argument 'nope' is not declared"])
        #expect(Self.checks("FROM scratch\n# check=skip=FromPlatformFlagConstDisallowed\nFROM --platform=linux/arm64 scratch\n").isEmpty)
        #expect(Self.checks("FROM --platform=arm64 scratch AS b\n") == [
            "1 FromPlatformFlagConstDisallowed: FROM --platform flag should not use constant value \"arm64\""
        ])
    }
}
