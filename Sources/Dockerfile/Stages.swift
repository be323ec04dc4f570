/// A build stage: a FROM instruction and the instructions after it, up to the next FROM.
public struct Stage: Sendable, Equatable {
    public var index: Int
    /// The `AS name`, lower-cased as BuildKit uses it; nil when unnamed.
    public var name: String?
    /// The base image reference as written (`scratch`, an image, or an earlier stage's name).
    public var baseImage: String
    /// `--platform=…` when given.
    public var platform: String?
    /// Indices into `ParsedDockerfile.instructions`: the FROM and the last instruction of the stage.
    public var firstInstruction: Int
    public var lastInstruction: Int
}

/// Stage structure and BuildKit's instruction-level checks, reported as diagnostics.
public struct DockerfileAnalysis: Sendable {
    public var parsed: ParsedDockerfile
    public var stages: [Stage]
    /// Parser diagnostics plus instruction-level ones, sorted by position.
    public var diagnostics: [Diagnostic]
    /// For each instruction, the stage it belongs to (nil for ARGs before the first FROM).
    public var stageOfInstruction: [Int?]

    public init(_ parsed: ParsedDockerfile) {
        self.parsed = parsed
        var checker = InstructionChecker(parsed: parsed)
        checker.run()
        checker.runBuildChecks()
        stages = checker.stages
        stageOfInstruction = checker.stageOf
        // The parser's empty-continuation warning is reported as BuildKit's NoEmptyContinuation check.
        let fromParser = parsed.diagnostics.filter { $0.code != InstructionChecker.parserEmptyContinuation }
        diagnostics = (fromParser + checker.diagnostics).sorted { $0.range.start < $1.range.start }
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

struct InstructionChecker {
    let parsed: ParsedDockerfile
    var stages: [Stage] = []
    var stageOf: [Int?] = []
    var diagnostics: [Diagnostic] = []
    /// The file's `# check=` directive.
    var checkOptions = CheckOptions()

    init(parsed: ParsedDockerfile) {
        self.parsed = parsed
        readCheckDirective()
    }

    mutating func report(_ i: Int, _ severity: DiagnosticSeverity, _ code: String, _ message: String) {
        let n = parsed.instructions[i]
        diagnostics.append(
            Diagnostic(
                severity: severity, range: parsed.ranges[i], code: code, message: message, startLine: n.startLine,
                endLine: n.endLine))
    }

    static func validStageName(_ s: String) -> Bool {
        let u = Array(s.unicodeScalars)
        guard let f = u.first, ("a"..."z").contains(f) else { return false }
        return u.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    mutating func run() {
        for (i, node) in parsed.instructions.enumerated() {
            let kw = InstructionKeyword(node.value)
            let args = node.next.map(\.value)
            if kw == .from {
                if let last = stages.indices.last { stages[last].lastInstruction = i - 1 }
                if let problem = FlagRules.problem(node.flags, for: .from) { report(i, .error, "syntax-error", problem) }
                var name: String?
                if args.count == 3 {
                    if args[1].lowercased() != "as" {
                        report(i, .error, "syntax-error", "FROM requires either one or three arguments, the second being AS")
                    }
                    name = args[2].lowercased()
                    if let n = name, !Self.validStageName(n) {
                        report(
                            i, .error, "invalid-stage-name",
                            "invalid name for build stage: \(GoText.quote(args[2])), name can't start with a number or contain symbols"
                        )
                    }
                    if args[2] != args[2].lowercased() {
                        lint(.stageNameCasing, "Stage name '\(args[2])' should be lowercase", at: i)
                    }
                    let fromUpper = node.value == node.value.uppercased()
                    if fromUpper != (args[1] == args[1].uppercased()) {
                        lint(.fromAsCasing, "'\(args[1])' and '\(node.value)' keywords' casing do not match", at: i)
                    }
                } else if args.count != 1 {
                    report(i, .error, "syntax-error", "FROM requires either one or three arguments")
                }
                let platform = node.flags.first { $0.hasPrefix("--platform=") }.map { String($0.dropFirst(11)) }
                stages.append(
                    Stage(
                        index: stages.count, name: name, baseImage: args.first ?? "", platform: platform,
                        firstInstruction: i, lastInstruction: i))
                stageOf.append(stages.count - 1)
                continue
            }
            stageOf.append(stages.isEmpty ? nil : stages.count - 1)
            if stages.isEmpty, let kw, kw != .arg {
                report(i, .error, "no-stage", "no build stage in current context: \(node.value) must come after a FROM instruction")
            }
            checkArguments(i, node, kw)
        }
        if let last = stages.indices.last { stages[last].lastInstruction = parsed.instructions.count - 1 }
    }

    mutating func checkArguments(_ i: Int, _ node: Node, _ keyword: InstructionKeyword?) {
        guard let kw = keyword else { return }
        // BuildKit reads the flags of these before their arguments, of the others after (STOPSIGNAL's and
        // HEALTHCHECK NONE's never; ONBUILD's belong to its trigger).
        let flagProblem = FlagRules.problem(node.flags, for: kw)
        if let flagProblem, [.run, .cmd, .entrypoint, .shell].contains(kw) {
            report(i, .error, "syntax-error", flagProblem)
            return
        }
        let before = diagnostics.count
        checkArgumentCount(i, node, kw)
        let healthcheckNone = kw == .healthcheck && node.next.first?.value.uppercased() == "NONE"
        if let flagProblem, ![.stopSignal, .onbuild].contains(kw), !healthcheckNone,
            !diagnostics[before...].contains(where: { $0.severity == .error })
        {
            report(i, .error, "syntax-error", flagProblem)
        }
    }

    mutating func checkArgumentCount(_ i: Int, _ node: Node, _ kw: InstructionKeyword) {
        let n = node.next.count
        switch kw {
        case .run, .cmd, .entrypoint:
            // A bare RUN is accepted, as BuildKit does (it runs an empty shell command).
            // JSONArgsRecommended is a stage check (a SHELL before it silences it).
            break
        case .copy, .add:
            if n < 2 { report(i, .error, "syntax-error", "\(kw.name) requires at least two arguments, but only \(n) provided") }
        case .shell:
            if n == 0 { report(i, .error, "syntax-error", "SHELL requires at least one argument") }
            else if !node.isJSON { report(i, .error, "syntax-error", "SHELL requires the arguments to be in JSON form") }
        case .workdir, .user, .stopSignal, .maintainer:
            if n == 0 { report(i, .error, "syntax-error", "\(kw.name) requires exactly one argument") }
            if kw == .maintainer {
                lint(.maintainerDeprecated, "Maintainer instruction is deprecated in favor of using label", at: i)
            }
        case .env, .label, .arg, .expose, .volume, .onbuild:
            if n == 0 { report(i, .error, "syntax-error", "\(kw.name) requires at least one argument") }
            if kw == .onbuild, let sub = node.next.first?.children.first {
                let s = InstructionKeyword(sub.value)
                if s == .onbuild || s == .from || s == .maintainer {
                    report(i, .error, "syntax-error", "\(sub.value.uppercased()) isn't allowed as an ONBUILD trigger")
                }
            }
        case .healthcheck:
            if n == 0 { report(i, .error, "syntax-error", "HEALTHCHECK requires at least one argument") }
            else {
                let t = node.next[0].value.uppercased()
                if t != "CMD", t != "NONE" {
                    report(i, .error, "syntax-error", "Unknown type \(GoText.quote(t)) in HEALTHCHECK (try CMD)")
                } else if t == "CMD", n < 2 {
                    report(i, .error, "syntax-error", "Missing command after HEALTHCHECK CMD")
                } else if t == "NONE", n > 1 {
                    report(i, .error, "syntax-error", "HEALTHCHECK NONE takes no arguments")
                }
            }
        case .from:
            break
        }
    }
}
