import Engine
import Foundation
import Glibc
import Runtime
import System
import Testing

/// The streaming attach API on real containers (root, namespaces, overlayfs): output by source, input, exit
/// codes, terminals and their size, and exec.
@Suite(.serialized) struct AttachTests {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String { "these tests run containers: they need root and /bin/busybox (Debian's busybox-static)" }
    }

    /// An engine on a fresh store holding a busybox image; the caller removes the directory.
    func busybox() async throws -> (engine: Engine, directory: String) {
        guard geteuid() == 0, access("/bin/busybox", X_OK) == 0 else { throw Unavailable() }
        let dir = try temporaryDirectory("attach")
        let rootfs = dir + "/rootfs"
        for d in ["/bin", "/etc", "/tmp"] { try FileManager.default.createDirectory(atPath: rootfs + d, withIntermediateDirectories: true) }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for applet in ["sh", "echo", "cat", "stty", "hostname", "sleep", "id"] { symlink("busybox", rootfs + "/bin/" + applet) }
        try write("root:x:0:0:root:/root:/bin/sh\n", to: rootfs + "/etc/passwd")
        try write("root:x:0:\n", to: rootfs + "/etc/group")
        let engine = Engine(configuration: EngineConfiguration(root: dir + "/store"))
        _ = try await engine.importImage(source: rootfs, reference: "busybox:latest", changes: ["CMD [\"sh\"]", "ENV PATH=/bin"])
        return (engine, dir)
    }

    /// Everything the process wrote, by source.
    func collect(_ a: AttachedProcess) async -> [OutputChunk.Source: String] {
        var out: [OutputChunk.Source: [UInt8]] = [:]
        for await chunk in a.output { out[chunk.source, default: []] += chunk.bytes }
        return out.mapValues { String(decoding: $0, as: UTF8.self) }
    }

    func options(_ command: [String]) -> RunOptions {
        var o = RunOptions(image: "busybox")
        o.command = command
        o.remove = true
        return o
    }

    @Test func outputComesBySourceAndTheExitCodeAfterIt() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        let a = try await engine.runAttached(options(["sh", "-c", "echo out; echo err >&2; echo more; exit 3"]))
        #expect(a.name.hasPrefix("estiba_") && a.containerID.count == 64)
        let out = await collect(a)
        #expect(out[.stdout] == "out\nmore\n")
        #expect(out[.stderr] == "err\n")
        #expect(out[.terminal] == nil)
        #expect(await a.exitCode() == 3)
        // Removed once its exit was recorded (--rm).
        #expect(try engine.containers().isEmpty)
    }

    @Test func inputReachesTheProcessAndClosingItEndsTheInput() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        var o = options(["sh", "-c", "while read line; do echo got $line; done; echo done"])
        o.remove = false
        o.name = "reader"
        let a = try await engine.runAttached(o, interactive: true)
        try await a.write(Array("one\n".utf8))
        try await a.write(Array("two\n".utf8))
        a.closeInput()
        #expect(await collect(a)[.stdout] == "got one\ngot two\ndone\n")
        #expect(await a.exitCode() == 0)
        let record = try #require(try engine.containers().first { $0.name == "reader" })
        #expect(record.state == .exited && record.exitCode == 0)
    }

    @Test func withoutInteractiveTheInputIsEmptyAndClosed() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        let a = try await engine.runAttached(options(["sh", "-c", "cat; echo end"]))
        await #expect(throws: EstibaError.self) { try await a.write(Array("x".utf8)) }
        #expect(throws: EstibaError.self) { try a.resize(rows: 10, columns: 10) }
        #expect(await collect(a)[.stdout] == "end\n")
        #expect(await a.exitCode() == 0)
    }

    @Test func aTerminalCarriesBothWaysAndFollowsItsSize() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        var o = options(["sh", "-c", "read x; stty size; echo TERM=$TERM; exit 4"])
        o.tty = true
        let a = try await engine.runAttached(o, interactive: true)
        try a.resize(rows: 33, columns: 101)
        try await a.write(Array("go\n".utf8))
        let out = await collect(a)
        #expect(out.keys.sorted { $0.rawValue < $1.rawValue } == [.terminal])
        let screen = out[.terminal] ?? ""
        #expect(screen.contains("go\r\n"), "\(screen)")
        #expect(screen.contains("33 101\r\n"), "\(screen)")
        #expect(screen.contains("TERM=xterm\r\n"), "\(screen)")
        #expect(await a.exitCode() == 4)
    }

    /// The terminal has its size before the command runs: a command that reads it at once sees it, every time
    /// (without one, it has the 0x0 of a terminal nobody sized, which busybox's stty refuses).
    @Test func aTerminalHasItsSizeFromTheStart() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        var o = options(["stty", "size"])
        o.tty = true
        let unsized = try await engine.runAttached(o)
        let unsizedScreen = await collect(unsized)[.terminal] ?? ""
        #expect(!unsizedScreen.contains("37 101"), "\(unsizedScreen)")
        _ = await unsized.exitCode()
        o.terminalSize = TerminalSize(rows: 37, columns: 101)
        for run in 1...20 {
            let a = try await engine.runAttached(o)
            let out = await collect(a)
            #expect(out[.terminal] == "37 101\r\n", "run \(run): \(out)")
            #expect(await a.exitCode() == 0)
        }
        #expect(try engine.containers().isEmpty)
    }

    @Test func anExecTerminalHasItsSizeFromTheStart() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        var o = options(["cat"])
        o.name = "sized"
        let first = try await engine.runAttached(o, interactive: true)
        for run in 1...20 {
            let e = try await engine.execAttached(
                container: "sized", command: ["stty", "size"], tty: true, terminalSize: TerminalSize(rows: 37, columns: 101))
            let out = await collect(e)
            #expect(out[.terminal] == "37 101\r\n", "exec \(run): \(out)")
            #expect(await e.exitCode() == 0)
        }
        // An exec's size is its own terminal's: another exec, sized otherwise, sees its own.
        let other = try await engine.execAttached(
            container: "sized", command: ["stty", "size"], tty: true, terminalSize: TerminalSize(rows: 50, columns: 200))
        let otherScreen = await collect(other)
        #expect(otherScreen[.terminal] == "50 200\r\n", "\(otherScreen)")
        #expect(await other.exitCode() == 0)
        first.closeInput()
        #expect(await collect(first)[.stdout] == nil)
        #expect(await first.exitCode() == 0)
    }

    @Test func execAttachesToARunningContainer() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        var o = options(["cat"])
        o.name = "target"
        o.hostname = "inside"
        let first = try await engine.runAttached(o, interactive: true)
        let e = try await engine.execAttached(container: "target", command: ["sh", "-c", "echo in $(hostname); read x; echo $x >&2; exit 5"], interactive: true)
        #expect(e.containerID == first.containerID && e.name == "target")
        try await e.write(Array("typed\n".utf8))
        let out = await collect(e)
        #expect(out[.stdout] == "in inside\n")
        #expect(out[.stderr] == "typed\n")
        #expect(await e.exitCode() == 5)
        // The container keeps running until its own input ends.
        try await first.write(Array("echoed\n".utf8))
        first.closeInput()
        #expect(await collect(first)[.stdout] == "echoed\n")
        #expect(await first.exitCode() == 0)
    }

    @Test func aCommandThatIsNotThereFailsAtStart() async throws {
        let (engine, dir) = try await busybox()
        defer { removeTree(dir) }
        await #expect {
            try await engine.runAttached(options(["no-such-command"]))
        } throws: { error in
            (error as? EstibaError)?.context["stage"] == EstibaError.commandNotFoundStage
        }
        #expect(try engine.containers().isEmpty)
    }
}
