import System
import Dockerfile
import ImageStore

/// Dockerfile instructions applied to an image's run-time config, as `commit --change` and `import --change`
/// give them: each line is read, checked and applied exactly as the same line of a Dockerfile.
public enum ChangeInstructions {
    /// The instructions Docker allows as a change.
    public static let allowed: [InstructionKeyword] = [.cmd, .entrypoint, .env, .expose, .label, .onbuild, .stopSignal, .user, .volume, .workdir]

    /// Applies the lines in order. The error's message names the line; its `instruction` is the line.
    public static func apply(_ lines: [String], to config: inout ContainerConfig) throws(EstibaError) {
        for line in lines { try apply(line, to: &config) }
    }

    static func apply(_ line: String, to config: inout ContainerConfig) throws(EstibaError) {
        func failure(_ kind: EstibaError.Code, _ message: String) -> EstibaError {
            EstibaError.build(kind, "Change \"\(line)\": \(message)", instruction: line)
        }
        let parsed = DockerfileParser.parse(line)
        if let e = parsed.errors.first { throw failure(.syntax, e.message + ".") }
        guard let node = parsed.instructions.first, parsed.instructions.count == 1 else {
            throw EstibaError.build(.invalidArgument, "Change \"\(line)\" must be one Dockerfile instruction.", instruction: line)
        }
        guard let keyword = InstructionKeyword(node.value), allowed.contains(keyword) else {
            let names = allowed.map(\.name).sorted().joined(separator: ", ")
            throw EstibaError.build(.invalidArgument, "\(node.value.uppercased()) is not supported as a change; use one of \(names).", instruction: line)
        }
        let instruction: TypedInstruction
        do { instruction = try TypedInstruction(node, escapeToken: parsed.escapeToken) } catch { throw failure(.syntax, error.message) }
        // A change never resets CMD: Docker's commit keeps the container's CMD when an ENTRYPOINT is given.
        let applier = ConfigApplier(
            lexer: ShellLexer(escapeToken: parsed.escapeToken), environment: ConfigApplier.values(of: config.env), cmdSet: true)
        do {
            try applier.change(instruction.instruction, on: config)?.apply(to: &config)
        } catch {
            throw failure(error.code, error.message)
        }
    }
}
