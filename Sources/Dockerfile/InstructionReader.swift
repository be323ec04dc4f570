import System

/// Turns one instruction node into its typed form, with the checks that need no build state. Words the build
/// expands are checked here too when they hold no variable (they expand to the same text at build time).
struct InstructionReader {
    let node: Node
    let lexer: ShellLexer

    init(node: Node, escapeToken: Unicode.Scalar) {
        self.node = node
        lexer = ShellLexer(escapeToken: escapeToken)
    }

    static func unknown(_ node: Node) -> EstibaError {
        EstibaError.instruction("Unknown instruction \(node.value.uppercased()); see the Dockerfile reference for the supported ones.", at: node)
    }

    var words: [String] { node.next.map(\.value) }

    func fail(_ message: String) -> EstibaError { EstibaError.instruction(message, at: node) }

    func read() throws(EstibaError) -> Instruction {
        guard let keyword = InstructionKeyword(node.value) else { throw Self.unknown(node) }
        switch keyword {
        case .from: return .from(try from())
        case .run: return .run(try run())
        case .cmd:
            try InstructionFlags.none(node, keyword)
            return .cmd(commandForm)
        case .entrypoint:
            try InstructionFlags.none(node, keyword)
            return .entrypoint(commandForm)
        case .env: return .env(try pairs(keyword))
        case .label: return .label(try pairs(keyword))
        case .arg: return .arg(try arg())
        case .copy, .add:
            let arguments = try copy(keyword)
            return keyword == .copy ? .copy(arguments) : .add(arguments)
        case .expose: return .expose(try expose())
        case .volume: return .volume(try volume())
        case .user: return .user(try single(keyword))
        case .workdir: return .workdir(try single(keyword))
        case .maintainer: return .maintainer(try single(keyword))
        case .stopSignal:
            let signal = try single(keyword)
            if let literal = try literal(signal) { try check { () throws(EstibaError) in try StopSignals.check(literal) } }
            return .stopSignal(signal)
        case .onbuild: return .onbuild(try onbuild())
        case .shell:
            try InstructionFlags.none(node, keyword)
            guard node.isJSON, !node.next.isEmpty else {
                throw fail("SHELL requires the arguments to be in JSON form, like SHELL [\"/bin/sh\", \"-c\"].")
            }
            return .shell(words)
        case .healthcheck: return .healthcheck(try healthcheck())
        }
    }

    /// The word as the build would expand it, when it holds no variable; nil when it does.
    func literal(_ word: String) throws(EstibaError) -> String? {
        guard !word.contains("$") else { return nil }
        do { return try lexer.processWord(word, env: [:]) } catch { throw fail(error.message) }
    }

    func check(_ body: () throws(EstibaError) -> Void) throws(EstibaError) {
        do { try body() } catch { throw fail(error.message) }
    }

    var commandForm: CommandForm { node.isJSON ? .exec(words) : .shell(words.joined(separator: " ")) }

    func single(_ keyword: InstructionKeyword) throws(EstibaError) -> String {
        try InstructionFlags.none(node, keyword)
        guard node.next.count == 1 else { throw fail("\(keyword.name) requires exactly one argument.") }
        return node.next[0].value
    }

    func from() throws(EstibaError) -> FromArguments {
        let w = words
        guard w.count == 1 || (w.count == 3 && w[1].lowercased() == "as") else {
            throw fail("FROM requires either one or three arguments (FROM image [AS name]).")
        }
        for f in node.flags where !f.hasPrefix("--platform=") { throw fail("FROM does not take \(f); only --platform.") }
        let platform = node.flags.first.map { String($0.dropFirst("--platform=".count)) }
        return FromArguments(image: w[0], stageName: w.count == 3 ? w[2].lowercased() : nil, platform: platform)
    }

    func run() throws(EstibaError) -> RunArguments {
        let flags = try InstructionFlags(node, .run, allowed: ["network", "mount", "security"])
        if flags["mount"] != nil {
            throw fail("RUN --mount is not supported by Estiba yet; copy what the command needs with COPY instead.")
        }
        if let s = flags["security"], s != "sandbox" { throw fail("RUN --security=\(s) is not allowed; builds run sandboxed.") }
        var network: RunNetwork?
        switch flags["network"] {
        case nil, "default": break
        case "none": network = RunNetwork.none
        case "host": network = .host
        case let other?: throw fail("RUN --network=\(other) is not supported; use default, none or host.")
        }
        if node.isJSON {
            guard !node.next.isEmpty else { throw fail("RUN needs a command.") }
            return RunArguments(command: .exec(words), network: network)
        }
        return RunArguments(command: .shell(script), network: network)
    }

    /// RUN's shell text with its here-documents: a lone `<<EOF` is the script itself, otherwise each body
    /// follows the command line, closed by its delimiter.
    var script: String {
        var script = words.joined(separator: " ")
        guard !node.heredocs.isEmpty else { return script }
        if script.hasPrefix("<<") && !script.contains(" ") && node.heredocs.count == 1 { return node.heredocs[0].content }
        for h in node.heredocs { script += "\n" + h.content + h.name }
        return script
    }

    func pairs(_ keyword: InstructionKeyword) throws(EstibaError) -> [KeyValue] {
        try InstructionFlags.none(node, keyword)
        var pairs: [KeyValue] = []
        var i = 0
        while i + 1 < node.next.count {
            pairs.append(KeyValue(node.next[i].value, node.next[i + 1].value))
            i += 3
        }
        guard !pairs.isEmpty else { throw fail("\(keyword.name) needs at least one key=value pair.") }
        return pairs
    }

    func arg() throws(EstibaError) -> [ArgDeclaration] {
        try InstructionFlags.none(node, .arg)
        guard !node.next.isEmpty else { throw fail("ARG requires at least one argument.") }
        var out: [ArgDeclaration] = []
        for word in words {
            guard let eq = word.firstIndex(of: "=") else {
                out.append(ArgDeclaration(word))
                continue
            }
            guard eq > word.startIndex else { throw fail("ARG names a variable before \"=\".") }
            out.append(ArgDeclaration(String(word[..<eq]), String(word[word.index(after: eq)...])))
        }
        return out
    }

    func copy(_ keyword: InstructionKeyword) throws(EstibaError) -> CopyArguments {
        let add = keyword == .add
        let flags = try InstructionFlags(
            node, keyword, allowed: add ? ["chown", "chmod", "link", "checksum", "keep-git-dir"] : ["from", "chown", "chmod", "link"])
        if add, flags["checksum"] != nil || flags["keep-git-dir"] != nil {
            throw fail("ADD --checksum and --keep-git-dir apply to remote sources, which Estiba does not fetch yet.")
        }
        var w = words
        guard w.count >= 2 else { throw fail("\(keyword.name) requires at least two arguments: source(s) and destination.") }
        let destination = w.removeLast()
        if let c = flags["chmod"], let text = try literal(c) { try check { () throws(EstibaError) in _ = try FileModes.parse(text) } }
        var sources: [String] = []
        var heredocs: [Heredoc] = []
        for word in w {
            if word.hasPrefix("<<"), let h = node.heredocs.first(where: { word.hasSuffix($0.name) }) {
                heredocs.append(h)
            } else {
                sources.append(word)
            }
        }
        return CopyArguments(
            sources: sources, heredocs: heredocs, destination: destination, from: flags["from"], chown: flags["chown"],
            chmod: flags["chmod"], link: flags["link"].map { $0 != "false" } ?? false)
    }

    func expose() throws(EstibaError) -> [String] {
        try InstructionFlags.none(node, .expose)
        guard !node.next.isEmpty else { throw fail("EXPOSE requires at least one argument.") }
        for word in words where !word.contains("$") {
            let ports: [String]
            do { ports = try lexer.processWords(word, env: [:]) } catch { throw fail(error.message) }
            for p in ports { try check { () throws(EstibaError) in _ = try ExposedPorts.keys(p) } }
        }
        return words
    }

    func volume() throws(EstibaError) -> [String] {
        try InstructionFlags.none(node, .volume)
        guard !node.next.isEmpty else { throw fail("VOLUME requires at least one argument.") }
        for word in words {
            if let v = try literal(word), v.trimmedBlanks.isEmpty { throw fail("VOLUME specified can not be an empty string.") }
        }
        return words
    }

    func onbuild() throws(EstibaError) -> OnbuildTrigger {
        try InstructionFlags.none(node, .onbuild)
        guard let sub = node.next.first?.children.first else { throw fail("ONBUILD requires an instruction to trigger.") }
        if let k = InstructionKeyword(sub.value), [.onbuild, .from, .maintainer].contains(k) {
            throw fail("\(k.name) isn't allowed as an ONBUILD trigger.")
        }
        return OnbuildTrigger(expression: String(node.original.trimmedBlanks.dropFirst("ONBUILD".count)).trimmedBlanks)
    }

    func healthcheck() throws(EstibaError) -> HealthcheckArguments {
        let flags = try InstructionFlags(node, .healthcheck, allowed: ["interval", "timeout", "start-period", "start-interval", "retries"])
        guard let type = node.next.first?.value.uppercased() else { throw fail("HEALTHCHECK requires an argument (CMD … or NONE).") }
        var h: HealthcheckArguments
        switch type {
        case "NONE":
            guard node.next.count == 1, flags.isEmpty else { throw fail("HEALTHCHECK NONE takes no other arguments.") }
            h = HealthcheckArguments(test: ["NONE"])
        case "CMD":
            let rest = node.next.dropFirst().map(\.value)
            guard !rest.isEmpty else { throw fail("Missing command after HEALTHCHECK CMD.") }
            h = HealthcheckArguments(test: node.isJSON ? ["CMD"] + rest : ["CMD-SHELL", rest.joined(separator: " ")])
        default:
            throw fail("Unknown type \"\(type)\" in HEALTHCHECK (try CMD).")
        }
        func duration(_ name: String) throws(EstibaError) -> Int64 {
            guard let text = flags[name] else { return 0 }
            guard let d = GoDuration.parse(text) else {
                throw fail("Invalid duration \"--\(name)=\(text)\": give a number and a unit (like 30s or 1m30s), at most 2562047h.")
            }
            guard d == 0 || d >= 1_000_000 else { throw fail("Interval \"--\(name)\" cannot be less than 1ms (got \(text)).") }
            return d
        }
        h.interval = try duration("interval")
        h.timeout = try duration("timeout")
        h.startPeriod = try duration("start-period")
        h.startInterval = try duration("start-interval")
        if let r = flags["retries"] {
            guard let n = Int(r), n >= 0 else { throw fail("--retries cannot be negative (\(r)).") }
            h.retries = n
        }
        return h
    }
}
