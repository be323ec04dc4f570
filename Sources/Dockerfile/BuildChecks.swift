/// BuildKit's build checks (`docker build --check`), by the names BuildKit gives them; a diagnostic's `code` is
/// the name.
enum BuildCheck: String, Sendable, CaseIterable {
    case stageNameCasing = "StageNameCasing"
    case fromAsCasing = "FromAsCasing"
    case noEmptyContinuation = "NoEmptyContinuation"
    case consistentInstructionCasing = "ConsistentInstructionCasing"
    case duplicateStageName = "DuplicateStageName"
    case reservedStageName = "ReservedStageName"
    case jsonArgsRecommended = "JSONArgsRecommended"
    case maintainerDeprecated = "MaintainerDeprecated"
    case undefinedArgInFrom = "UndefinedArgInFrom"
    case workdirRelativePath = "WorkdirRelativePath"
    case undefinedVar = "UndefinedVar"
    case multipleInstructionsDisallowed = "MultipleInstructionsDisallowed"
    case legacyKeyValueFormat = "LegacyKeyValueFormat"
    case redundantTargetPlatform = "RedundantTargetPlatform"
    case secretsUsedInArgOrEnv = "SecretsUsedInArgOrEnv"
    case invalidDefaultArgInFrom = "InvalidDefaultArgInFrom"
    case fromPlatformFlagConstDisallowed = "FromPlatformFlagConstDisallowed"
    case exposeProtoCasing = "ExposeProtoCasing"
    case exposeInvalidFormat = "ExposeInvalidFormat"
    case invalidBaseImagePlatform = "InvalidBaseImagePlatform"
}

extension InstructionChecker {
    /// The code the parser gives an empty continuation line.
    static let parserEmptyContinuation = "no-empty-continuation"

    /// Reads the file's `# check=` directive; a malformed one is an error on its line, as it fails a build.
    mutating func readCheckDirective() {
        guard let directive = parsed.directives.first(where: { $0.name == "check" }) else { return }
        do {
            checkOptions = try CheckOptions.parse(directive.value)
        } catch {
            diagnostics.append(
                Diagnostic(
                    severity: .error, range: directive.range, code: "invalid-directive",
                    message: "failed to parse check options: \(error.message)", startLine: directive.line,
                    endLine: directive.line))
        }
    }

    /// Reports `rule` on instruction `i` unless skipped: by the file's directive or by a `# check=skip=…`
    /// comment above instruction `commentsOf` (default `i`); for a whole-file check (`fileWide`, as BuildKit
    /// runs its stage-name, casing and default-argument checks) only the file's directive counts. With
    /// `error=true` the check is an error.
    mutating func lint(_ rule: BuildCheck, _ message: String, at i: Int, fileWide: Bool = false, commentsOf: Int? = nil) {
        let options = fileWide ? checkOptions : checkOptions.merged(withComments: comments(above: commentsOf ?? i))
        guard options.reports(rule.rawValue) else { return }
        report(i, options.errorOnWarning ? .error : .warning, rule.rawValue, message)
    }

    /// The comments right above instruction `i`, without the file's parser directives (BuildKit does not count
    /// them as the first instruction's comments).
    func comments(above i: Int) -> [String] {
        let comments = parsed.instructions[i].prevComment
        guard i == 0, !parsed.directives.isEmpty else { return comments }
        return comments.filter { comment in
            guard let (key, value) = DirectiveScanner.match(Substring("#" + comment)) else { return true }
            return !parsed.directives.contains { $0.name == key.lowercased() && $0.value == value }
        }
    }

    /// The checks that look at more than one instruction, after `run()` found the stages.
    mutating func runBuildChecks() {
        checkEmptyContinuations()
        checkStageNames()
        checkInstructionCasing()
        var scopes = VariableScopes(parsed: parsed, stages: stages)
        checkFromVariables(&scopes)
        checkStages(&scopes)
    }

    /// The parser's empty-continuation warnings, as BuildKit's check on the instruction's last line.
    mutating func checkEmptyContinuations() {
        guard checkOptions.reports(BuildCheck.noEmptyContinuation.rawValue) else { return }
        for d in parsed.diagnostics where d.code == Self.parserEmptyContinuation {
            let start = SourcePosition(line: max(d.endLine - 1, 0), character: 0)
            diagnostics.append(
                Diagnostic(
                    severity: checkOptions.errorOnWarning ? .error : .warning,
                    range: SourceRange(start: start, end: max(start, d.range.end)),
                    code: BuildCheck.noEmptyContinuation.rawValue, message: "Empty continuation line",
                    startLine: d.endLine, endLine: d.endLine))
        }
    }

    /// Reserved and repeated stage names (BuildKit builds with a repeated name; it only warns).
    mutating func checkStageNames() {
        var seen: Set<String> = []
        for stage in stages {
            guard let name = stage.name else { continue }
            if name == "scratch" || name == "context" {
                lint(
                    .reservedStageName, "Stage name should not use the same name as reserved stage \(GoText.quote(name))",
                    at: stage.firstInstruction, fileWide: true)
            }
            if !seen.insert(name).inserted {
                lint(
                    .duplicateStageName, "Duplicate stage name \(GoText.quote(name)), stage names should be unique",
                    at: stage.firstInstruction, fileWide: true)
            }
        }
    }

    /// Instruction keywords written all upper or all lower case are counted (those of the stages; ARGs before
    /// the first FROM are not); any keyword not in the majority's case is reported; a tie counts as upper case.
    mutating func checkInstructionCasing() {
        guard let first = stages.first?.firstInstruction else { return }
        let indices = Array(first..<parsed.instructions.count)
        var lower = 0
        var upper = 0
        for i in indices {
            let name = parsed.instructions[i].value
            if name == name.lowercased() {
                lower += 1
            } else if name == name.uppercased() {
                upper += 1
            }
        }
        let majorityLower = lower > upper
        for i in indices {
            let name = parsed.instructions[i].value
            if majorityLower, name != name.lowercased() {
                lint(.consistentInstructionCasing, "Command '\(name)' should match the case of the command majority (lowercase)", at: i, fileWide: true)
            } else if !majorityLower, name != name.uppercased() {
                lint(.consistentInstructionCasing, "Command '\(name)' should match the case of the command majority (uppercase)", at: i, fileWide: true)
            }
        }
    }
}

extension DockerfileAnalysis {
    /// The build checks that fail a build: with `# check=error=true` every check's finding is an error, and
    /// BuildKit refuses to build (`lint violation found for rules: …`).
    public var failingChecks: [Diagnostic] {
        diagnostics.filter { $0.severity == .error && BuildCheck(rawValue: $0.code) != nil }
    }
}

extension DockerfileAnalysis {
    /// BuildKit's InvalidBaseImagePlatform on FROM instruction `i`, which only the image store can tell: the
    /// base image is for `platform` (`os/arch`) and the build for `expected`. Nil when `# check=skip` silences
    /// it; an error with `# check=error=true`.
    public func invalidBaseImagePlatform(at i: Int, image: String, platform: String, expected: String) -> Diagnostic? {
        var checker = InstructionChecker(parsed: parsed)
        checker.lint(
            .invalidBaseImagePlatform,
            "Base image \(image) was pulled with platform \(GoText.quote(platform)), expected \(GoText.quote(expected)) for current build", at: i)
        return checker.diagnostics.first
    }
}
