/// The Dockerfile instructions: the one list of keywords the parser, the builder and the change applier use.
/// The raw value is the keyword in lower case.
public enum InstructionKeyword: String, CaseIterable, Sendable {
    case add, arg, cmd, copy, entrypoint, env, expose, from, healthcheck, label, maintainer, onbuild, run, shell
    case stopSignal = "stopsignal"
    case user, volume, workdir

    /// The keyword written in any case; nil when it names no instruction.
    public init?(_ written: String) { self.init(rawValue: written.lowercased()) }

    /// The keyword as messages and history show it (`STOPSIGNAL`).
    public var name: String { rawValue.uppercased() }
}
