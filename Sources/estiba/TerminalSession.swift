import ArgumentParser
import Engine
import System

/// Connects this process's terminal to an attached process's terminal: raw mode while it runs, keystrokes to its
/// input (with -i), its output to standard output, and the window's size followed.
enum TerminalSession {
    /// Relays until the process's output ends, gives the terminal back, and returns the process's exit code.
    static func relay(_ process: AttachedProcess, interactive: Bool) async -> Int32 {
        let keyboard = FileDescriptor(borrowing: 0, path: "standard input")
        let saved = Terminal.isTerminal(keyboard) ? try? Terminal.makeRaw(keyboard) : nil
        defer { if let saved { try? Terminal.restore(keyboard, saved) } }
        followWindowSize(of: keyboard, into: process)
        if interactive {
            // One task writes the keystrokes, in the order they were typed.
            let keys = DescriptorPump.stream(keyboard, chunkSize: 4096)
            Task {
                for await chunk in keys {
                    do throws(EstibaError) { try await process.write(chunk) } catch { break }
                }
            }
        }
        for await chunk in process.output { FileDescriptorOutput.stdout(chunk.bytes) }
        return await process.exitCode()
    }

    /// This terminal's size (standard input's), for the container's terminal to have from its start; nil when
    /// standard input is no terminal or its size is unknown.
    static func windowSize() -> TerminalSize? {
        let keyboard = FileDescriptor(borrowing: 0, path: "standard input")
        guard Terminal.isTerminal(keyboard), let size = try? Terminal.windowSize(keyboard) else { return nil }
        let given = TerminalSize(rows: size.rows, columns: size.columns)
        return given.isKnown ? given : nil
    }

    /// Gives the process's terminal this terminal's size, now (should it have changed since the start) and after
    /// every window change.
    static func followWindowSize(of keyboard: FileDescriptor, into process: AttachedProcess) {
        @Sendable func copySize() {
            guard let size = try? Terminal.windowSize(keyboard) else { return }
            try? process.resize(rows: size.rows, columns: size.columns)
        }
        copySize()
        try? Signals.onDelivery(of: [.windowChange]) { _ in copySize() }
    }

    /// Relays `process` and ends the command with its exit status.
    static func finish(_ process: AttachedProcess, interactive: Bool) async throws {
        let code = await relay(process, interactive: interactive)
        if code != 0 { throw ExitCode(code) }
    }

    /// What a container started without a terminal reads: with -i, a socket this process copies its standard
    /// input into (so the container's input ends when this process does, as when docker's client goes away; a
    /// container that is gone fails the copy instead of raising SIGPIPE), else /dev/null (as with docker).
    static func containerInput(interactive: Bool) throws(EstibaError) -> FileDescriptor {
        guard interactive else { return try FileDescriptor.open("/dev/null") }
        let pair = try SocketPair()
        let sink = pair.second
        DescriptorPump.start(FileDescriptor.standardInput, onChunk: { try? sink.send($0) }, onEnd: { sink.close() })
        return pair.first
    }
}
