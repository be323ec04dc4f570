import ArgumentParser
import Engine
import System

struct KillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "kill", abstract: "Send a signal to running containers.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Signal number or name (KILL, TERM, HUP, INT, USR1, USR2).") var signal: String = "KILL"
    @Argument var containers: [String]

    func run() async throws {
        let names: [String: Signal] = [
            "KILL": .kill, "TERM": .terminate, "HUP": .hangup, "INT": .interrupt, "USR1": .user1, "USR2": .user2, "QUIT": .quit,
        ]
        let upper = signal.uppercased()
        let sig: Int32
        if let number = Int64(signal) {
            do { sig = try Limits.signal(number) } catch { throw fail(error) }
        } else if let named = names[upper.hasPrefix("SIG") ? String(upper.dropFirst(3)) : upper] {
            sig = named.rawValue
        } else if signal.allSatisfy({ $0.isNumber || $0 == "-" || $0 == "+" }) && !signal.isEmpty {
            throw fail(EstibaError(.invalidArgument, "Invalid signal: \(signal). Give a signal number from 1 to \(Limits.maximumSignal), or a name like TERM."))
        } else {
            throw ValidationError("Unknown signal \(signal).")
        }
        for c in containers {
            do { try global.engine().kill(container: c, signal: sig) } catch { throw fail(error) }
            FileDescriptorOutput.stdout(c + "\n")
        }
    }
}
