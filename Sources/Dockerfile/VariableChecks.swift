/// What the checks know of variables: the global scope FROM sees (BuildKit's predefined platform arguments and
/// the ARGs before the first FROM, with their defaults), and each stage's environment at its end.
struct VariableScopes {
    /// BuildKit's predefined arguments, valued as for a linux/amd64 build.
    static let predefined: [(String, String)] = [
        ("BUILDPLATFORM", "linux/amd64"), ("BUILDOS", "linux"), ("BUILDOSVERSION", ""), ("BUILDARCH", "amd64"),
        ("BUILDVARIANT", ""), ("TARGETPLATFORM", "linux/amd64"), ("TARGETOS", "linux"), ("TARGETOSVERSION", ""),
        ("TARGETARCH", "amd64"), ("TARGETVARIANT", ""), ("TARGETSTAGE", "default"),
    ]
    /// Arguments BuildKit never puts in a stage's environment.
    static let nonEnvironment: Set<String> = ["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"]
    /// The PATH BuildKit gives an image that has none.
    static let defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    let lexer: ShellLexer
    /// The global scope with defaults only; nil when a default could not be expanded.
    var global: [String: String]?
    /// Every name FROM may use: the predefined ones and every global ARG, valued or not.
    var globalNames: Set<String> = []
    /// Each stage's scope at its end, for the stages built on it.
    var stageEnds: [StageScope?]

    init(parsed: ParsedDockerfile, stages: [Stage]) {
        lexer = ShellLexer(escapeToken: parsed.escapeToken)
        var env: [String: String] = [:]
        for (name, value) in Self.predefined {
            env[name] = value
            globalNames.insert(name)
        }
        let metaEnd = stages.first?.firstInstruction ?? parsed.instructions.count
        var failed = false
        for node in parsed.instructions[..<metaEnd] where InstructionKeyword(node.value) == .arg {
            for (name, value) in Self.declarations(node) {
                globalNames.insert(name)
                guard let value, !failed else { continue }
                if let expanded = try? lexer.processWord(value, env: env) { env[name] = expanded } else { failed = true }
            }
        }
        global = failed ? nil : env
        stageEnds = Array(repeating: nil, count: stages.count)
    }

    /// ARG's `name[=default]` words.
    static func declarations(_ node: Node) -> [(String, String?)] {
        node.next.map { word in
            guard let eq = word.value.firstIndex(of: "=") else { return (word.value, nil) }
            return (String(word.value[..<eq]), String(word.value[word.value.index(after: eq)...]))
        }
    }
}

/// A stage's variables as the checks follow them.
struct StageScope {
    /// The environment: the base's, then ENV and valued ARGs.
    var env: [String: String]
    /// False when the base image is not known (an image, not `scratch` or an earlier stage): its environment
    /// may hold any name, so undefined variables are not reported.
    var complete: Bool
    /// Names ARG declared (valued or not).
    var declared: Set<String> = []
    var workdirSet = false
    var shellSet = false
}

extension InstructionChecker {
    /// FROM's variables (UndefinedArgInFrom, RedundantTargetPlatform, FromPlatformFlagConstDisallowed) and its
    /// base name with the global defaults (InvalidDefaultArgInFrom).
    mutating func checkFromVariables(_ scopes: inout VariableScopes) {
        let names = Array(scopes.globalNames)
        var checkDefaults = true
        for stage in stages {
            let i = stage.firstInstruction
            guard let env = scopes.global else { return }
            let base = try? scopes.lexer.processWordWithMatches(stage.baseImage, env: env)
            if let base {
                reportUndeclared(base.unmatched, at: i, names: names, known: scopes.globalNames)
            }
            if checkDefaults {
                if let base {
                    if !ImageReferenceSyntax.isValid(base.result) {
                        lint(
                            .invalidDefaultArgInFrom,
                            "Default value for ARG \(stage.baseImage) results in empty or invalid base image name", at: i,
                            fileWide: true)
                    }
                } else {
                    checkDefaults = false
                }
            }
            guard let platform = stage.platform, let p = try? scopes.lexer.processWordWithMatches(platform, env: env)
            else { continue }
            reportUndeclared(p.unmatched, at: i, names: names, known: scopes.globalNames)
            if p.matched == ["TARGETPLATFORM"], p.unmatched.isEmpty, p.result == env["TARGETPLATFORM"] {
                lint(
                    .redundantTargetPlatform,
                    "Setting platform to predefined \(platform) in FROM is redundant as this is the default behavior", at: i)
            }
            if p.matched.isEmpty, p.unmatched.isEmpty, let (os, arch) = Self.platformParts(p.result) {
                let name = stage.name ?? ""
                if !name.contains(os), !name.contains(arch) {
                    lint(
                        .fromPlatformFlagConstDisallowed,
                        "FROM --platform flag should not use constant value \(GoText.quote(p.result))", at: i)
                }
            }
        }
    }

    mutating func reportUndeclared(_ unmatched: [String], at i: Int, names: [String], known: Set<String>) {
        for name in unmatched where !known.contains(name) {
            var message = "FROM argument '\(name)' is not declared"
            if let s = NameSuggestion.closest(to: name, among: names) { message += " (did you mean \(s)?)" }
            lint(.undefinedArgInFrom, message, at: i)
        }
    }

    /// The operating system and architecture of a platform specifier (`os[/arch[/variant]]` or an
    /// architecture alone), normalized as containerd does; nil when it is malformed.
    static func platformParts(_ specifier: String) -> (os: String, arch: String)? {
        let parts = specifier.split(separator: "/", omittingEmptySubsequences: false).map { $0.lowercased() }
        let valid = parts.allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { ImageReferenceSyntax.isAlnum($0) || "_.-".unicodeScalars.contains($0) }
        }
        guard valid, (1...3).contains(parts.count) else { return nil }
        let systems: Set<String> = ["linux", "windows", "darwin", "freebsd", "netbsd", "openbsd", "solaris", "illumos", "aix", "android", "ios", "plan9", "dragonfly", "js", "wasip1"]
        if parts.count == 1 {
            return systems.contains(parts[0]) ? (parts[0], "amd64") : ("linux", normalizedArchitecture(parts[0]))
        }
        return (parts[0] == "macos" ? "darwin" : parts[0], normalizedArchitecture(parts[1]))
    }

    static func normalizedArchitecture(_ arch: String) -> String {
        switch arch {
        case "i386": return "386"
        case "x86_64", "x86-64", "amd64": return "amd64"
        case "aarch64", "arm64": return "arm64"
        case "armhf", "armel", "arm": return "arm"
        default: return arch
        }
    }
}
