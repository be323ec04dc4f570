/// The Dockerfile instructions: the one list of keywords the parser, the builder and the change applier use.
/// The raw value is the keyword in lower case.
public enum InstructionKeyword: String, CaseIterable, Sendable {
    case add, arg, cmd, copy, entrypoint, env, expose, from, healthcheck, label, maintainer, onbuild, run, shell
    case stopSignal = "stopsignal"
    case user, volume, workdir

    /// The keyword written in any case; nil when it names no instruction.
    public init?(_ written: String) {
        // Found by a table of the lower-case spellings: the parser and the editor ask this for every instruction.
        var folded = written
        if written.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") || $0 >= 0x80 }) { folded = written.lowercased() }
        guard let keyword = Self.byName[folded] else { return nil }
        self = keyword
    }

    private static let byName: [String: InstructionKeyword] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })

    /// The keyword as messages and history show it (`STOPSIGNAL`).
    public var name: String { rawValue.uppercased() }
}
