import System
import Dockerfile
import ImageStore
import Runtime

/// What a step does to the file system.
enum StepWork {
    /// Only the config changes (an `empty_layer` history entry).
    case metadata
    /// Changes files through the mounted root.
    case filesystem((RootFS, StepWorkspace) throws(EstibaError) -> Void)
    /// Runs a command in a container.
    case run(arguments: [String], environment: [String], network: NetworkMode)
}

/// The digest of a step's sources and each file's digest (empty for steps without sources).
struct StepSources {
    var digest = ""
    var files: [(String, String)] = []
}

extension BuildRun {
    func dispatch(_ typed: TypedInstruction, state: inout StageState, countsAsStep: Bool = true) async throws(EstibaError) {
        let node = typed.node
        if Task.isCancelled { throw EstibaError.build(.cancelled, "The build was cancelled.", line: node.startLine, instruction: node.original) }
        // Only `$` expands variables: an instruction without one needs no environment.
        let env = node.original.contains("$") ? state.expansionEnvironment() : [:]
        if countsAsStep { step += 1 }
        emit(.stepStarted(BuildStepStart(step: step, total: total, stage: state.index, instruction: node.original, line: node.startLine)))
        switch typed.instruction {
        case .from:
            // Stages start at FROM, so only a base image's ONBUILD trigger can bring one here.
            throw error(node, .syntax, "FROM isn't allowed as an ONBUILD trigger.")
        case .arg(let declarations):
            try await argStep(node, declarations, env: env, state: &state)
        case .run(let arguments):
            try await runStep(node, arguments, &state)
        case .copy(let arguments):
            try await copyStep(node, arguments, &state, add: false)
        case .add(let arguments):
            try await copyStep(node, arguments, &state, add: true)
        case .env, .label, .cmd, .entrypoint, .expose, .volume, .user, .workdir, .stopSignal, .onbuild, .shell, .healthcheck,
            .maintainer:
            let applier = ConfigApplier(lexer: lexer, environment: env, cmdSet: state.cmdSet)
            let change: ConfigChange?
            do { change = try applier.change(typed.instruction, on: state.config.config) } catch {
                throw self.error(node, error.code, error.message)
            }
            if let change { try await configStep(node, change, &state) }
        }
        state.firstStep = false
    }

    /// A step that changes the config: its history reads `<shell> #(nop)  <instruction>`, except WORKDIR (which
    /// also makes the directory) and SHELL (which shows the new shell).
    func configStep(_ node: Node, _ change: ConfigChange, _ state: inout StageState) async throws(EstibaError) {
        switch change {
        case .env(let pairs):
            try await envStep(node, change, pairs, &state)
        case .workdir(let dir):
            let createdBy = (state.shell + ["#(nop) WORKDIR " + dir]).joined(separator: " ")
            try await commit(
                node, &state, instruction: change.text, createdBy: createdBy, change: { change.apply(to: &$0) },
                work: .filesystem({ root, _ throws(EstibaError) in _ = try root.makeDirectories(dir, owner: (0, 0)) }))
        case .shell(let words):
            let createdBy = (words + ["#(nop) ", "SHELL " + GoFormat.list(words)]).joined(separator: " ")
            try await commit(node, &state, instruction: change.text, createdBy: createdBy, change: { change.apply(to: &$0) }, work: .metadata)
        default:
            if case .cmd = change { state.cmdSet = true }
            try await metadata(node, &state, change.text) { change.apply(to: &$0) }
        }
    }

    /// ENV: which names are set comes from the stage's running table of values, so a step costs what its own
    /// pairs do, not the whole environment.
    func envStep(_ node: Node, _ change: ConfigChange, _ pairs: [KeyValue], _ state: inout StageState) async throws(EstibaError) {
        var values = state.environmentValues()
        // Out of the state while the step runs, so that updating it below edits the table in place.
        state.envValues = nil
        try await metadata(node, &state, change.text) { c in change.apply(to: &c, isSet: { values[$0] != nil }) }
        for p in pairs { values[p.key] = p.value }
        state.envValues = values
        state.envValuesCount = state.config.config.env.count
    }

    /// ARG: declares build args for the stage, taking `--build-arg` values, else the default, else the value of
    /// the same ARG before the first FROM.
    func argStep(_ node: Node, _ declarations: [ArgDeclaration], env: [String: String], state: inout StageState) async throws(EstibaError) {
        var shown: [String] = []
        for d in declarations {
            let value = try d.value.map { v throws(EstibaError) in try expand(v, env: env, node: node) }
            shown.append(value.map { d.name + "=" + $0 } ?? d.name)
            var resolved = value
            if let given = options.buildArgs[d.name] {
                resolved = given
                consumedArgs.insert(d.name)
            } else if value == nil, let meta = metaArgs.last(where: { $0.name == d.name }) {
                resolved = meta.value
            }
            state.args.append((d.name, resolved))
        }
        try await metadata(node, &state, "ARG " + shown.joined(separator: " ")) { _ in }
    }

    /// A step that changes only the config; its history reads `<shell> #(nop)  <message>`.
    func metadata(_ node: Node, _ state: inout StageState, _ message: String, _ change: (inout ImageConfig) throws(EstibaError) -> Void)
        async throws(EstibaError)
    {
        let createdBy = (state.shell + ["#(nop) ", message]).joined(separator: " ")
        try await commit(node, &state, instruction: message, createdBy: createdBy, change: change, work: .metadata)
    }
}
