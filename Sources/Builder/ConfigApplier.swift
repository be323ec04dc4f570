import Dockerfile
import ImageStore
import Runtime
import System

/// The one set of rules for the metadata instructions (ENV, LABEL, CMD, ENTRYPOINT, EXPOSE, VOLUME, USER,
/// WORKDIR, STOPSIGNAL, ONBUILD, SHELL, HEALTHCHECK, MAINTAINER), for `build` and for `commit --change` and
/// `import --change`: expands an instruction's words, checks the values and says what it sets in the config.
struct ConfigApplier {
    let lexer: ShellLexer
    /// The values `$NAME` expands to.
    let environment: [String: String]
    /// A CMD was set before (in the stage being built): an ENTRYPOINT then keeps it.
    let cmdSet: Bool

    init(lexer: ShellLexer, environment: [String: String], cmdSet: Bool) {
        self.lexer = lexer
        self.environment = environment
        self.cmdSet = cmdSet
    }

    /// ENV entries (`K=v`) by name; the last entry of a name wins, one without `=` has the empty value.
    static func values(of env: [String]) -> [String: String] {
        var values: [String: String] = [:]
        for kv in env {
            let parts = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            values[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return values
    }

    /// The change an instruction makes to `config`; nil for instructions that are not metadata (FROM, RUN, COPY,
    /// ADD, ARG). Errors carry no location: the caller says where the instruction was.
    func change(_ instruction: Instruction, on config: ContainerConfig) throws(EstibaError) -> ConfigChange? {
        switch instruction {
        case .from, .run, .copy, .add, .arg:
            return nil
        case .env(let pairs):
            return .env(try expand(pairs, .env))
        case .label(let pairs):
            return .label(try expand(pairs, .label))
        case .maintainer(let name):
            return .maintainer(name)
        case .expose(let words):
            var ports: [String] = []
            for w in words { ports += try expandWords(w) }
            guard !ports.isEmpty else { throw EstibaError.build(.syntax, "EXPOSE requires at least one argument.") }
            var keys: [String] = []
            for p in ports { keys += try ExposedPorts.keys(p) }
            return .expose(ports: ports, keys: keys)
        case .volume(let words):
            var volumes: [String] = []
            for w in words {
                let v = try expand(w)
                guard !v.trimmedBlanks.isEmpty else { throw EstibaError.build(.syntax, "VOLUME specified can not be an empty string.") }
                volumes.append(v)
            }
            guard !volumes.isEmpty else { throw EstibaError.build(.syntax, "VOLUME requires at least one argument.") }
            return .volume(volumes)
        case .user(let word):
            let user = try expand(word)
            if let problem = UserSpec.problem(user) { throw EstibaError.build(.invalidArgument, problem) }
            return .user(user)
        case .stopSignal(let word):
            let signal = try expand(word)
            try StopSignals.check(signal)
            return .stopSignal(signal)
        case .workdir(let word):
            let raw = try expand(word)
            return .workdir(raw.hasPrefix("/") ? PathClean.clean(raw) : PathClean.clean((config.workingDir ?? "/") + "/" + raw))
        case .shell(let words):
            return .shell(words)
        case .cmd(let form):
            return .cmd(command(form, config))
        case .entrypoint(let form):
            return .entrypoint(command(form, config), keepsCmd: cmdSet)
        case .onbuild(let trigger):
            return .onbuild(trigger.expression)
        case .healthcheck(let h):
            return .healthcheck(h)
        }
    }

    /// CMD and ENTRYPOINT: the exec form as given; the shell form run by the config's SHELL (`/bin/sh -c`).
    func command(_ form: CommandForm, _ config: ContainerConfig) -> [String] {
        switch form {
        case .exec(let words): words
        case .shell(let text): text.isEmpty ? [] : (config.shell ?? Self.defaultShell) + [text]
        }
    }

    static let defaultShell = ["/bin/sh", "-c"]

    func expand(_ pairs: [KeyValue], _ keyword: InstructionKeyword) throws(EstibaError) -> [KeyValue] {
        var out: [KeyValue] = []
        for p in pairs {
            let key = try expand(p.key)
            guard !key.isEmpty else { throw EstibaError.build(.syntax, "\(keyword.name) names must not be empty.") }
            out.append(KeyValue(key, try expand(p.value)))
        }
        return out
    }

    func expand(_ word: String) throws(EstibaError) -> String {
        do { return try lexer.processWord(word, env: environment) } catch { throw error.recoded(.syntax) }
    }

    func expandWords(_ word: String) throws(EstibaError) -> [String] {
        do { return try lexer.processWords(word, env: environment) } catch { throw error.recoded(.syntax) }
    }
}
