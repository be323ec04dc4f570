import Dockerfile
import EstibaJSON
import Glibc
import ImageStore
import Runtime

/// What a step does to the file system.
enum StepWork {
    /// Only the config changes (an `empty_layer` history entry).
    case metadata
    /// Changes files through the mounted root.
    case filesystem((RootFS, StepWorkspace) throws(BuildError) -> Void)
    /// Runs a command in a container.
    case run(arguments: [String], environment: [String], network: NetworkMode)
}

/// The digest of a step's sources and each file's digest (empty for steps without sources).
struct StepSources {
    var digest = ""
    var files: [(String, String)] = []
}

extension BuildRun {
    func dispatch(_ node: Node, state: inout StageState, countsAsStep: Bool = true) async throws(BuildError) {
        if Task.isCancelled { throw BuildError(.cancelled, "The build was cancelled.", line: node.startLine, instruction: node.original) }
        let keyword = node.value.lowercased()
        // Only `$` expands variables: an instruction without one needs no environment.
        let env = node.original.contains("$") ? state.expansionEnvironment() : [:]
        if countsAsStep { step += 1 }
        emit(.stepStarted(BuildStepStart(step: step, total: total, stage: state.index, instruction: node.original, line: node.startLine)))
        let words = node.next.map(\.value)
        switch keyword {
        case "env", "label":
            try noFlags(node)
            var pairs: [(String, String)] = []
            var i = 0
            while i + 1 < node.next.count {
                let key = try expand(node.next[i].value, env: env, node: node)
                guard !key.isEmpty else { throw error(node, .syntax, "\(keyword.uppercased()) names must not be empty.") }
                pairs.append((key, try expand(node.next[i + 1].value, env: env, node: node)))
                i += 3
            }
            guard !pairs.isEmpty else { throw error(node, .syntax, "\(keyword.uppercased()) needs at least one key=value pair.") }
            if keyword == "env" {
                try await envStep(node, pairs: pairs, state: &state)
            } else {
                try await labelStep(node, pairs: pairs, state: &state)
            }
        case "arg":
            try noFlags(node)
            guard !words.isEmpty else { throw error(node, .syntax, "ARG requires at least one argument.") }
            var shown: [String] = []
            for word in words {
                let (name, value) = try argument(word, node: node, env: env)
                shown.append(value.map { name + "=" + $0 } ?? name)
                var resolved = value
                if let given = options.buildArgs[name] {
                    resolved = given
                    consumedArgs.insert(name)
                } else if value == nil, let meta = metaArgs.last(where: { $0.name == name }) {
                    resolved = meta.value
                }
                state.args.append((name, resolved))
            }
            try await metadata(node, &state, "ARG " + shown.joined(separator: " ")) { _ in }
        case "maintainer":
            try noFlags(node)
            guard words.count == 1 else { throw error(node, .syntax, "MAINTAINER requires exactly one argument.") }
            try await metadata(node, &state, "MAINTAINER " + words[0]) { $0.author = words[0] }
        case "expose":
            try noFlags(node)
            var ports: [String] = []
            for w in words { ports += try expandWords(w, env: env, node: node) }
            guard !ports.isEmpty else { throw error(node, .syntax, "EXPOSE requires at least one argument.") }
            var keys: [String] = []
            for p in ports { keys += try exposedPortKeys(p, node: node) }
            try await metadata(node, &state, "EXPOSE " + ports.sorted().joined(separator: " ")) { c in
                c.config.exposedPorts = Array(Set(c.config.exposedPorts).union(keys)).sorted()
            }
        case "volume":
            try noFlags(node)
            var volumes: [String] = []
            for w in words {
                let v = try expand(w, env: env, node: node)
                guard !trimmed(v).isEmpty else { throw error(node, .syntax, "VOLUME specified can not be an empty string.") }
                volumes.append(v)
            }
            guard !volumes.isEmpty else { throw error(node, .syntax, "VOLUME requires at least one argument.") }
            try await metadata(node, &state, "VOLUME " + GoFormat.list(volumes)) { c in
                c.config.volumes = Array(Set(c.config.volumes).union(volumes)).sorted()
            }
        case "user":
            try noFlags(node)
            guard words.count == 1 else { throw error(node, .syntax, "USER requires exactly one argument.") }
            let user = try expand(words[0], env: env, node: node)
            if let problem = UserSpec.problem(user) { throw error(node, .invalidArgument, problem) }
            try await metadata(node, &state, "USER " + user) { $0.config.user = user.isEmpty ? nil : user }
        case "stopsignal":
            try noFlags(node)
            guard words.count == 1 else { throw error(node, .syntax, "STOPSIGNAL requires exactly one argument.") }
            let signal = try expand(words[0], env: env, node: node)
            guard Self.validSignal(signal) else {
                throw error(node, .syntax, "Invalid signal \(signal): use a name like SIGTERM or a number.")
            }
            try await metadata(node, &state, "STOPSIGNAL " + signal) { $0.config.stopSignal = signal }
        case "workdir":
            try noFlags(node)
            guard words.count == 1 else { throw error(node, .syntax, "WORKDIR requires exactly one argument.") }
            let raw = try expand(words[0], env: env, node: node)
            let dir = raw.hasPrefix("/") ? PathClean.clean(raw) : PathClean.clean((state.config.config.workingDir ?? "/") + "/" + raw)
            let shell = state.shell
            try await commit(
                node, &state, instruction: "WORKDIR " + dir, createdBy: (shell + ["#(nop) WORKDIR " + dir]).joined(separator: " "),
                change: { $0.config.workingDir = dir },
                work: .filesystem({ root, _ throws(BuildError) in close(try root.makeDirectories(dir, owner: (0, 0))) }))
        case "shell":
            try noFlags(node)
            guard node.isJSON, !words.isEmpty else {
                throw error(node, .syntax, "SHELL requires the arguments to be in JSON form, like SHELL [\"/bin/sh\", \"-c\"].")
            }
            let createdBy = (words + ["#(nop) ", "SHELL " + GoFormat.list(words)]).joined(separator: " ")
            try await commit(node, &state, instruction: "SHELL " + GoFormat.quoteList(words), createdBy: createdBy, change: { $0.config.shell = words }, work: .metadata)
        case "cmd", "entrypoint":
            try noFlags(node)
            let command = node.isJSON ? words : (words.isEmpty ? [] : state.shell + [words.joined(separator: " ")])
            let name = keyword.uppercased()
            if keyword == "cmd" {
                state.cmdSet = true
                try await metadata(node, &state, "CMD " + GoFormat.quoteList(command)) { $0.config.cmd = command }
            } else {
                let keepCmd = state.cmdSet
                try await metadata(node, &state, name + " " + GoFormat.quoteList(command)) { c in
                    c.config.entrypoint = command.isEmpty ? nil : command
                    if !keepCmd { c.config.cmd = nil }
                }
            }
        case "healthcheck":
            try await healthcheck(node, &state)
        case "onbuild":
            try noFlags(node)
            guard let sub = node.next.first?.children.first else { throw error(node, .syntax, "ONBUILD requires an instruction to trigger.") }
            let subKeyword = sub.value.lowercased()
            guard !["onbuild", "from", "maintainer"].contains(subKeyword) else {
                throw error(node, .syntax, "\(subKeyword.uppercased()) isn't allowed as an ONBUILD trigger.")
            }
            let expression = trimmed(String(trimmed(node.original).dropFirst("ONBUILD".count)))
            try await metadata(node, &state, "ONBUILD " + expression) { c in c.config.onBuild = (c.config.onBuild ?? []) + [expression] }
        case "run":
            try await runStep(node, &state)
        case "copy", "add":
            try await copyStep(node, &state, add: keyword == "add")
        default:
            throw error(node, .syntax, "Unknown instruction \(node.value.uppercased()); see the Dockerfile reference for the supported ones.")
        }
        state.firstStep = false
    }

    func noFlags(_ node: Node) throws(BuildError) {
        if let f = node.flags.first { throw error(node, .syntax, "\(node.value.uppercased()) does not take the flag \(f).") }
    }

    /// `--name=value` flags of a node (`--name` alone is "true"); unknown ones are refused.
    func flags(_ node: Node, allowed: Set<String>) throws(BuildError) -> [String: String] {
        var out: [String: String] = [:]
        for f in node.flags {
            guard f.hasPrefix("--") else { throw error(node, .syntax, "Bad flag \(f).") }
            let body = f.dropFirst(2)
            let name = String(body.prefix { $0 != "=" })
            let value = body.contains("=") ? String(body.drop { $0 != "=" }.dropFirst()) : "true"
            guard allowed.contains(name) else {
                throw error(node, .syntax, "Unknown flag: \(name); \(node.value.uppercased()) takes \(allowed.sorted().map { "--" + $0 }.joined(separator: ", ")).")
            }
            out[name] = value
        }
        return out
    }

    /// ENV: a name already set moves to the end with its new value. Which names are set comes from the stage's
    /// running table of values, so a step costs what its own pairs do, not the whole environment.
    func envStep(_ node: Node, pairs: [(String, String)], state: inout StageState) async throws(BuildError) {
        var values = state.environmentValues()
        // Out of the state while the step runs, so that updating it below edits the table in place.
        state.envValues = nil
        try await metadata(node, &state, "ENV " + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")) { c in
            var added: Set<String> = []
            for (k, v) in pairs {
                if values[k] != nil || added.contains(k) {
                    let prefix = k + "="
                    c.config.env.removeAll { $0 == k || $0.hasPrefix(prefix) }
                }
                c.config.env.append(k + "=" + v)
                added.insert(k)
            }
        }
        for (k, v) in pairs { values[k] = v }
        state.envValues = values
        state.envValuesCount = state.config.config.env.count
    }

    func labelStep(_ node: Node, pairs: [(String, String)], state: inout StageState) async throws(BuildError) {
        try await metadata(node, &state, "LABEL " + pairs.map { "\($0.0)=\($0.1)" }.joined(separator: " ")) { c in
            for (k, v) in pairs { c.config.labels[k] = v }
        }
    }

    /// A step that changes only the config; its history reads `<shell> #(nop)  <message>`.
    func metadata(_ node: Node, _ state: inout StageState, _ message: String, _ change: (inout ImageConfig) throws(BuildError) -> Void)
        async throws(BuildError)
    {
        let createdBy = (state.shell + ["#(nop) ", message]).joined(separator: " ")
        try await commit(node, &state, instruction: message, createdBy: createdBy, change: change, work: .metadata)
    }

    static func validSignal(_ s: String) -> Bool {
        if let n = Int(s) { return n > 0 && n < 65 }
        let name = s.uppercased().hasPrefix("SIG") ? String(s.uppercased().dropFirst(3)) : s.uppercased()
        let names: Set<String> = [
            "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL",
            "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1",
            "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
        ]
        if names.contains(name) { return true }
        if name.hasPrefix("RTMIN") || name.hasPrefix("RTMAX") { return true }
        return false
    }

    func exposedPortKeys(_ spec: String, node: Node) throws(BuildError) -> [String] {
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto), let range = parts.first else {
            throw error(node, .syntax, "Invalid port \(spec): use PORT[/tcp|udp|sctp] or a range FROM-TO.")
        }
        let bounds = range.split(separator: "-", maxSplits: 1).map { Int($0) }
        guard let lo = bounds.first ?? nil, lo >= 0, lo <= 65535 else {
            throw error(node, .syntax, "Invalid port \(spec): use PORT[/tcp|udp|sctp] or a range FROM-TO.")
        }
        var hi = lo
        if bounds.count == 2 {
            guard let h = bounds[1], h >= lo, h <= 65535 else { throw error(node, .syntax, "Invalid port range \(spec).") }
            hi = h
        }
        return (lo...hi).map { "\($0)/\(proto)" }
    }

    func healthcheck(_ node: Node, _ state: inout StageState) async throws(BuildError) {
        let f = try flags(node, allowed: ["interval", "timeout", "start-period", "start-interval", "retries"])
        guard let type = node.next.first?.value.uppercased() else { throw error(node, .syntax, "HEALTHCHECK requires an argument (CMD … or NONE).") }
        var test: [String]
        switch type {
        case "NONE":
            guard node.next.count == 1, f.isEmpty else { throw error(node, .syntax, "HEALTHCHECK NONE takes no other arguments.") }
            test = ["NONE"]
        case "CMD":
            let rest = node.next.dropFirst().map(\.value)
            guard !rest.isEmpty else { throw error(node, .syntax, "Missing command after HEALTHCHECK CMD.") }
            test = node.isJSON ? ["CMD"] + rest : ["CMD-SHELL", rest.joined(separator: " ")]
        default:
            throw error(node, .syntax, "Unknown type \"\(type)\" in HEALTHCHECK (try CMD).")
        }
        func duration(_ name: String) throws(BuildError) -> Int64 {
            guard let text = f[name] else { return 0 }
            guard let d = GoFormat.parseDuration(text) else {
                throw error(node, .syntax, "Invalid duration \"--\(name)=\(text)\": give a number and a unit (like 30s or 1m30s), at most 2562047h.")
            }
            guard d == 0 || d >= 1_000_000 else {
                throw error(node, .syntax, "Interval \"--\(name)\" cannot be less than 1ms (got \(text)).")
            }
            return d
        }
        let interval = try duration("interval")
        let timeout = try duration("timeout")
        let startPeriod = try duration("start-period")
        let startInterval = try duration("start-interval")
        var retries = 0
        if let r = f["retries"] {
            guard let n = Int(r), n >= 0 else { throw error(node, .syntax, "--retries cannot be negative (\(r)).") }
            retries = n
        }
        var hc = JSONObject()
        hc.append("Test", JSONValue(test))
        if interval != 0 { hc.append("Interval", .int(interval)) }
        if timeout != 0 { hc.append("Timeout", .int(timeout)) }
        if startPeriod != 0 { hc.append("StartPeriod", .int(startPeriod)) }
        if startInterval != 0 { hc.append("StartInterval", .int(startInterval)) }
        if retries != 0 { hc.append("Retries", .int(Int64(retries))) }
        let message = "HEALTHCHECK &{\(GoFormat.quoteList(test)) \(GoFormat.quote(GoFormat.duration(interval))) "
            + "\(GoFormat.quote(GoFormat.duration(timeout))) \(GoFormat.quote(GoFormat.duration(startPeriod))) \(GoFormat.quoteRune(retries))}"
        // Docker fills the fields a HEALTHCHECK leaves at zero from the image it builds on.
        if let parent = state.config.config.healthcheck?.objectValue {
            for key in ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] where hc[key] == nil {
                if let v = parent[key], v != .int(0) { hc.append(key, v) }
            }
            var ordered = JSONObject()
            for key in ["Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] { if let v = hc[key] { ordered.append(key, v) } }
            hc = ordered
        }
        let value = JSONValue.object(hc)
        try await metadata(node, &state, message) { $0.config.healthcheck = value }
    }
}
