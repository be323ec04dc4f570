/// A Dockerfile instruction with its flags read and checked. Words the builder expands (`$VAR`) are kept as
/// written: expansion needs the build's ARG and ENV values.
public enum Instruction: Sendable, Equatable {
    case from(FromArguments)
    case run(RunArguments)
    case cmd(CommandForm)
    case entrypoint(CommandForm)
    /// `name value` pairs, both as written.
    case env([KeyValue])
    case label([KeyValue])
    case arg([ArgDeclaration])
    case copy(CopyArguments)
    case add(CopyArguments)
    /// Port specs as written (one word may expand to several).
    case expose([String])
    /// Paths as written.
    case volume([String])
    case user(String)
    case workdir(String)
    case stopSignal(String)
    case onbuild(OnbuildTrigger)
    /// The new shell, in exec form.
    case shell([String])
    case healthcheck(HealthcheckArguments)
    case maintainer(String)

    public var keyword: InstructionKeyword {
        switch self {
        case .from: .from
        case .run: .run
        case .cmd: .cmd
        case .entrypoint: .entrypoint
        case .env: .env
        case .label: .label
        case .arg: .arg
        case .copy: .copy
        case .add: .add
        case .expose: .expose
        case .volume: .volume
        case .user: .user
        case .workdir: .workdir
        case .stopSignal: .stopSignal
        case .onbuild: .onbuild
        case .shell: .shell
        case .healthcheck: .healthcheck
        case .maintainer: .maintainer
        }
    }
}
