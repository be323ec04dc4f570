import Glibc
import Synchronization
@testable import System
import Testing

@Suite struct ProcessTests {
    @Test func spawnsWithGivenDescriptorsAndEnvironmentAndReportsTheExit() async throws {
        let output = try Pipe()
        var spawn = Spawn(executable: "/bin/sh", arguments: ["sh", "-c", "echo $GREETING; exit 3"], environment: ["GREETING=hello"])
        spawn.descriptors = [0: .nullDevice(writable: false), 1: .copy(output.writeEnd)]
        spawn.closeOtherDescriptors = true
        spawn.newSession = true
        let pid = try spawn.start()
        output.writeEnd.close()
        #expect(String(decoding: try output.readEnd.readAll(), as: UTF8.self) == "hello\n")
        let status = try await Processes.waitInBackground(for: pid)
        #expect(status.exitStatus == 3 && status.signal == nil && status.exitCode == 3)
    }

    @Test func aKilledChildReportsItsSignal() throws {
        var spawn = Spawn(executable: "sleep", arguments: ["sleep", "30"])
        spawn.searchPath = true
        let pid = try spawn.start()
        #expect(Processes.exists(pid))
        try Processes.send(.kill, to: pid)
        let status = try Processes.wait(for: pid)
        #expect(status.signal == SIGKILL && status.exitCode == 137 && status.exitStatus == nil)
        #expect(!Processes.exists(pid))
    }

    /// An ended process nobody has waited for yet (a zombie: an orphan waits for init, which may reap late) is not
    /// alive, nor are pids 0 and below.
    @Test func aZombieHasEnded() throws {
        var spawn = Spawn(executable: "/bin/true", arguments: ["true"])
        spawn.closeOtherDescriptors = true
        let pid = try spawn.start()
        let deadline = Clocks.monotonicSeconds + 10
        while !Processes.hasEnded(pid), Clocks.monotonicSeconds < deadline { sleepThread(nanoseconds: 1_000_000) }
        #expect(kill(pid, 0) == 0, "still there, unreaped")
        #expect(!Processes.exists(pid))
        _ = try Processes.wait(for: pid)
        #expect(!Processes.exists(pid))
        #expect(!Processes.exists(0) && !Processes.exists(-1))
        #expect(Processes.exists(Processes.currentID) && !Processes.hasEnded(Processes.currentID))
    }

    @Test func aMissingProgramIsAClearError() {
        let error = #expect(throws: EstibaError.self) { try Spawn(executable: "/nonexistent/estiba-x", arguments: ["x"]).start() }
        #expect(error?.errorNumber == ENOENT)
        #expect(error?.message == "Cannot start /nonexistent/estiba-x: No such file or directory.")
    }

    @Test func signalsReachTheirHandlers() throws {
        let seen = Mutex(0)
        try Signals.onDelivery(of: [.user2]) { signal in
            if signal == .user2 { seen.withLock { $0 += 1 } }
        }
        try Processes.send(.user2, to: Processes.currentID)
        let deadline = Clocks.monotonicSeconds + 10
        while seen.withLock({ $0 }) == 0, Clocks.monotonicSeconds < deadline { sleepThread(nanoseconds: 1_000_000) }
        #expect(seen.withLock { $0 } == 1)
    }

    @Test func procTellsPathsAndDescriptors() throws {
        let scratch = try Scratch()
        try scratch.write("f", "x")
        let fd = try FileDescriptor.open(scratch.at("f"))
        #expect(try fd.resolvedPath() == scratch.at("f"))
        #expect(try Processes.openDescriptors().contains(fd.rawValue))
        #expect(try Processes.executablePath().hasPrefix("/"))
        // A relative path is taken from the working directory; an absolute one is left as it is.
        let cwd = String(cString: getcwd(nil, 0))
        #expect(Processes.absolutePath("store/x") == (cwd == "/" ? "" : cwd) + "/store/x")
        #expect(Processes.absolutePath("/var/lib/estiba") == "/var/lib/estiba")
        #expect(Environment.value("PATH") != nil)
        #expect(Environment.all.contains { $0.hasPrefix("PATH=") })
        #expect(Machine.onlineProcessors >= 1)
        #expect(!Machine.hardwareName.isEmpty)
    }
}
