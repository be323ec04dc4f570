/// The checks BuildKit makes while it goes through a stage's instructions: UndefinedVar, WorkdirRelativePath,
/// MultipleInstructionsDisallowed, JSONArgsRecommended, LegacyKeyValueFormat, SecretsUsedInArgOrEnv and the
/// EXPOSE checks. Variables are judged where the builder expands them (ENV, LABEL, ARG defaults, COPY/ADD
/// and their flags and expanding here-documents, WORKDIR, USER, VOLUME, STOPSIGNAL, RUN's mounts), not in
/// commands the shell expands. A stage built on an earlier one starts from that stage's variables, WORKDIR and SHELL.
extension InstructionChecker {
    mutating func checkStages(_ scopes: inout VariableScopes) {
        for stage in stages {
            var scope = startScope(stage, scopes)
            var lastOnce: [InstructionKeyword: Int] = [:]
            if stage.firstInstruction < stage.lastInstruction {
                for i in (stage.firstInstruction + 1)...stage.lastInstruction {
                    checkInstruction(i, &scope, &lastOnce, scopes)
                }
            }
            scopes.stageEnds[stage.index] = scope
        }
    }

    /// A stage's variables at its FROM: `scratch` has only PATH; an earlier stage passes on its own; an image's
    /// are unknown.
    func startScope(_ stage: Stage, _ scopes: VariableScopes) -> StageScope {
        let base = (scopes.global.flatMap { try? scopes.lexer.processWord(stage.baseImage, env: $0) } ?? stage.baseImage)
            .lowercased()
        if let earlier = stages[..<stage.index].last(where: { $0.name == base }), let end = scopes.stageEnds[earlier.index] {
            return end
        }
        if base == "scratch" { return StageScope(env: ["PATH": VariableScopes.defaultPath], complete: true) }
        return StageScope(env: [:], complete: false)
    }

    mutating func checkInstruction(
        _ i: Int, _ scope: inout StageScope, _ lastOnce: inout [InstructionKeyword: Int], _ scopes: VariableScopes
    ) {
        let lexer = scopes.lexer
        let node = parsed.instructions[i]
        guard let kw = InstructionKeyword(node.value) else { return }
        let words = node.next.map(\.value)
        switch kw {
        case .env, .label:
            // Every pair is expanded in the environment before the instruction; then they are set.
            var pairs: [(String, String)] = []
            var index = 0
            while index + 1 < words.count {
                let key = words[index]
                let value = words[index + 1]
                let delimiter = index + 2 < words.count ? words[index + 2] : "="
                if delimiter.isEmpty {
                    lint(.legacyKeyValueFormat, "\"\(node.value) key=value\" should be used instead of legacy \"\(node.value) key value\" format", at: i)
                }
                let k = expand(key, i, scope.env, scope, lexer)
                let v = expand(value, i, scope.env, scope, lexer)
                pairs.append((k ?? key, v ?? value))
                index += 3
            }
            if kw == .env {
                for (key, value) in pairs {
                    checkSecret("ENV", key, at: i)
                    scope.env[key] = value
                }
            }
        case .arg:
            for (name, value) in VariableScopes.declarations(node) {
                checkSecret("ARG", name, at: i)
                var resolved: String?
                if let value {
                    resolved = expand(value, i, scope.env, scope, lexer) ?? value
                } else {
                    resolved = scopes.global?[name]
                }
                if let resolved, !VariableScopes.nonEnvironment.contains(name) { scope.env[name] = resolved }
                scope.declared.insert(name)
            }
        case .copy, .add:
            let env = scope.env
            for flag in ["--chown=", "--chmod=", "--checksum="] where kw == .add || flag != "--checksum=" {
                if let value = node.flags.last(where: { $0.hasPrefix(flag) }) {
                    _ = expand(String(value.dropFirst(flag.count)), i, env, scope, lexer)
                }
            }
            let heredocNames = Set(node.heredocs.map(\.name))
            for word in words where !word.hasPrefix("<<") || heredocNames.isEmpty {
                _ = expand(word, i, env, scope, lexer)
            }
            var raw = lexer
            raw.rawQuotes = true
            raw.rawEscapes = true
            for heredoc in node.heredocs where heredoc.expand {
                _ = expand(heredoc.content, i, env, scope, raw)
            }
        case .workdir:
            guard let path = words.first else { break }
            let (expanded, unmatched) = expandWithUnmatched(path, i, scope.env, scope, lexer)
            if !scope.workdirSet, let expanded, scope.complete || unmatched.isEmpty, !expanded.hasPrefix("/") {
                lint(.workdirRelativePath, "Relative workdir \(GoText.quote(expanded)) can have unexpected results if the base image changes", at: i)
            }
            scope.workdirSet = true
        case .user, .volume, .stopSignal:
            for word in words { _ = expand(word, i, scope.env, scope, lexer) }
        case .cmd, .entrypoint, .healthcheck:
            if let previous = lastOnce[kw] {
                lint(
                    .multipleInstructionsDisallowed,
                    "Multiple \(node.value) instructions should not be used in the same stage because only the last one will be used",
                    at: previous, commentsOf: i)
            }
            lastOnce[kw] = i
            if kw != .healthcheck, !node.isJSON, !words.isEmpty, !scope.shellSet {
                lint(.jsonArgsRecommended, "JSON arguments recommended for \(node.value) to prevent unintended behavior related to OS signals", at: i)
            }
        case .shell:
            if node.isJSON, !words.isEmpty { scope.shellSet = true }
        case .expose:
            for word in words where !word.contains("$") { checkExposedPort(word, at: i) }
        case .run:
            // The builder expands each `key=value` of a `--mount`; the command is the shell's.
            for flag in node.flags where flag.hasPrefix("--mount=") {
                for field in flag.dropFirst(8).split(separator: ",") {
                    guard let eq = field.firstIndex(of: "=") else { continue }
                    _ = expand(String(field[field.index(after: eq)...]), i, scope.env, scope, lexer)
                }
            }
        case .from, .onbuild, .maintainer:
            break
        }
    }

    /// Expands `word` in `env`, reporting each variable that is neither set nor declared (UndefinedVar) when
    /// the stage's variables are all known; nil when the word cannot be expanded.
    mutating func expand(_ word: String, _ i: Int, _ env: [String: String], _ scope: StageScope, _ lexer: ShellLexer) -> String? {
        expandWithUnmatched(word, i, env, scope, lexer).0
    }

    mutating func expandWithUnmatched(
        _ word: String, _ i: Int, _ env: [String: String], _ scope: StageScope, _ lexer: ShellLexer
    ) -> (String?, [String]) {
        guard let r = try? lexer.processWordWithMatches(word, env: env) else { return (nil, []) }
        let undefined = r.unmatched.filter { !scope.declared.contains($0) && !VariableScopes.nonEnvironment.contains($0) }
        if scope.complete {
            for name in undefined {
                var message = "Usage of undefined variable '$\(name)'"
                if let s = NameSuggestion.closest(to: name, among: env.keys) { message += " (did you mean $\(s)?)" }
                lint(.undefinedVar, message, at: i)
            }
        }
        return (r.result, undefined)
    }

    /// SecretsUsedInArgOrEnv: a name with a `_`-separated part such as `password`, `secret`, `token` or `key`,
    /// and none such as `public`, `file` or `version`.
    static let secretParts: Set<Substring> = ["apikey", "auth", "credential", "credentials", "key", "password", "pword", "passwd", "secret", "token"]
    static let allowedParts: Set<Substring> = ["public", "file", "version"]

    mutating func checkSecret(_ instruction: String, _ name: String, at i: Int) {
        let parts = name.lowercased().split(separator: "_", omittingEmptySubsequences: false)
        if parts.contains(where: Self.secretParts.contains), !parts.contains(where: Self.allowedParts.contains) {
            lint(.secretsUsedInArgOrEnv, "Do not use ARG or ENV instructions for sensitive data (\(instruction) \(GoText.quote(name)))", at: i)
        }
    }

    /// ExposeProtoCasing and ExposeInvalidFormat for one port spec `[[ip:]host-port:]port[/proto]`.
    mutating func checkExposedPort(_ spec: String, at i: Int) {
        let parts = spec.split(separator: ":", omittingEmptySubsequences: false)
        guard let container = parts.last else { return }
        // BuildKit's split: `port`, `host:port`, `ip:host:port`, or an IPv6 address before the last two.
        let hostPort = parts.count >= 2 ? parts[parts.count - 2] : ""
        let ip = parts.count >= 3 ? parts[..<(parts.count - 2)].joined(separator: ":") : ""
        let hasHost = !hostPort.isEmpty || !ip.isEmpty
        let portAndProto = container.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        let proto = portAndProto.count == 2 ? String(portAndProto[1]) : ""
        guard let port = portAndProto.first, !port.isEmpty, ["", "tcp", "udp", "sctp"].contains(proto.lowercased()) else { return }
        if proto != proto.lowercased() {
            lint(.exposeProtoCasing, "Defined protocol '\(spec)' in EXPOSE instruction should be lowercase", at: i)
        }
        if hasHost {
            lint(.exposeInvalidFormat, "EXPOSE instruction should not define an IP address or host-port mapping, found '\(spec)'", at: i)
        }
    }
}
