import EstibaJSON
import Foundation
import Testing

/// The sample clients in Clients/ run against the real service.
@Suite struct ClientTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    func run(_ executable: String, _ args: [String], cwd: URL? = nil, env extra: [String: String] = [:]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [executable] + args
        var env = ProcessInfo.processInfo.environment
        env["ESTIBA_BIN"] = Paths.estiba
        for (k, v) in extra { env[k] = v }
        p.environment = env
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // Drain both pipes concurrently so a chatty child never blocks.
        let errData = ManagedData()
        let t = Thread { errData.set(err.fileHandleForReading.readDataToEndOfFile()) }
        t.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        while !errData.isSet { usleep(1000) }
        return Output(
            status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData.value, as: UTF8.self))
    }

    @Test func pythonClientSuite() throws {
        let r = try run(
            "python3", ["-m", "unittest", "-v", "test_estiba_client"],
            cwd: Paths.repo.appendingPathComponent("Clients/python"))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("Ran 8 tests"))
        #expect(r.stderr.contains("OK"))
    }

    @Test func shellClientOverStdioAndSocket() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "FROM busybox AS app\nRUN echo hi\n".write(
            to: dir.appendingPathComponent("Dockerfile"), atomically: true, encoding: .utf8)
        let script = Paths.repo.appendingPathComponent("Clients/shell/estiba-rpc").path

        let viaStdio = try run("bash", [script, "--stdio", "parse", #"{"path":"Dockerfile"}"#], cwd: dir)
        #expect(viaStdio.status == 0, "\(viaStdio.stderr)")
        let result = try JSONValue.parse(viaStdio.stdout)
        #expect(result["stages"]?.arrayValue?.first?["name"] == "app")
        #expect(result["instructions"]?.arrayValue?.count == 2)

        // A method that sends notifications naming the request's id before its reply: the reply is printed.
        let streamed = try run("bash", [script, "--stdio", "parse", #"{"path":"Dockerfile","progress":true}"#], cwd: dir)
        #expect(streamed.status == 0, "\(streamed.stderr)")
        #expect(try JSONValue.parse(streamed.stdout)["instructions"]?.arrayValue?.count == 2, "\(streamed.stdout)")

        let missing = try run("bash", [script, "--stdio", "parse", #"{"path":"nope"}"#], cwd: dir)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("No such file: nope"))

        let service = try SocketService(path: dir.appendingPathComponent("rpc.sock").path)
        let viaSocket = try run("bash", [script, "initialize"], cwd: dir, env: ["ESTIBA_SOCKET": service.path])
        #expect(viaSocket.status == 0, "\(viaSocket.stderr)")
        #expect(try JSONValue.parse(viaSocket.stdout)["name"] == "estiba")
        let explicit = try run("bash", [script, "--socket", service.path, "parse", #"{"text":"FROM x"}"#], cwd: dir)
        #expect(try JSONValue.parse(explicit.stdout)["stages"]?.arrayValue?.first?["baseImage"] == "x")
    }
}

final class ManagedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return data != nil }
    var value: Data { lock.lock(); defer { lock.unlock() }; return data ?? Data() }
}
