import ArgumentParser
import Engine

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The store directory (default: $ESTIBA_ROOT or /var/lib/estiba).")
    var root: String?

    func engine() -> Engine { Engine(configuration: EngineConfiguration(root: root)) }
}

/// Prints an engine error the way docker prints daemon errors and exits 1.
func fail(_ error: EngineError) -> ExitCode {
    FileDescriptorOutput.stderr("Error: \(error.message)\n")
    return ExitCode(1)
}
