import EstibaJSON
import Foundation
import Glibc
import Testing

/// Paths of the repository and the built `estiba` binary.
enum Paths {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var estiba: String {
        if let e = ProcessInfo.processInfo.environment["ESTIBA_BIN"], !e.isEmpty { return e }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [beside, beside.deletingLastPathComponent(), repo.appendingPathComponent(".build/debug")] {
            let candidate = dir.appendingPathComponent("estiba").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return repo.appendingPathComponent(".build/debug/estiba").path
    }

    /// The shared conformance data (`ESTIBA_CONFORMANCE_DIR`, default ../shared/conformance beside the repo).
    static var conformance: String {
        if let e = ProcessInfo.processInfo.environment["ESTIBA_CONFORMANCE_DIR"], !e.isEmpty { return e }
        return repo.deletingLastPathComponent().appendingPathComponent("shared/conformance").path
    }

    static func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp").appendingPathComponent("estiba-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// The whole text of a file of /proc. Foundation's `String(contentsOfFile:)` reads such a file (its size says 0)
/// only as far as its first 4 KiB, so a long mount table would be cut short.
func procText(_ path: String) throws -> String {
    let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    return String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
}

/// How long a program a test runs to completion may take (`ESTIBA_TEST_PROGRAM_LIMIT` seconds, default 600): past
/// it, coreutils' `timeout` ends it (TERM, then KILL) and the test records an issue naming the command, so a
/// program that never ends fails its test instead of holding up the whole run.
enum ProgramDeadline {
    static let seconds: Int = ProcessInfo.processInfo.environment["ESTIBA_TEST_PROGRAM_LIMIT"].flatMap { Int($0) } ?? 600

    /// `path args` run under the deadline: the executable and arguments to hand to `Process`.
    static func bounded(_ path: String, _ args: [String]) -> (executable: String, arguments: [String]) {
        ("/usr/bin/timeout", ["-k", "10", String(seconds), path] + args)
    }

    /// Records an issue when a run that started at `start` reached the deadline.
    static func check(since start: Date, _ path: String, _ args: [String], output: String) {
        guard Date().timeIntervalSince(start) >= Double(seconds) else { return }
        Issue.record("\(path) \(args.joined(separator: " ")) did not end within \(seconds) s and was stopped; its output: \(output.suffix(2000))")
    }
}

/// Runs a program to completion (under `ProgramDeadline`) with stdin from /dev/null; its status and its stdout
/// and stderr together.
func runProgram(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let p = Process()
    let (executable, arguments) = ProgramDeadline.bounded(path, args)
    p.executableURL = URL(fileURLWithPath: executable)
    p.arguments = arguments
    if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new } }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    p.standardInput = FileHandle.nullDevice
    let start = Date()
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    ProgramDeadline.check(since: start, path, args, output: text)
    return (p.terminationStatus, text)
}

struct TestTimeout: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Line- and frame-oriented reading from a descriptor with a deadline.
final class DescriptorReader {
    let fd: Int32
    var buffer: [UInt8] = []
    var eof = false

    init(fd: Int32) { self.fd = fd }

    private func fill(deadline: Date) throws {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ms = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
        let r = poll(&p, 1, ms)
        if r == 0 { throw TestTimeout(what: "data on fd \(fd)") }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { eof = true; return }
        buffer.append(contentsOf: chunk[0..<n])
    }

    /// The next line (without "\n"), or nil at end of stream.
    func line(timeout: TimeInterval = 20) throws -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let nl = buffer.firstIndex(of: 0x0A) {
                let l = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                return String(decoding: l, as: UTF8.self)
            }
            if eof { return nil }
            try fill(deadline: deadline)
        }
    }

    func json(timeout: TimeInterval = 20) throws -> JSONValue? {
        guard let l = try line(timeout: timeout) else { return nil }
        return try JSONValue.parse(l)
    }

    /// The next Content-Length framed body.
    func frame(timeout: TimeInterval = 20) throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let end = findHeaderEnd() {
                let header = String(decoding: buffer[..<end], as: UTF8.self)
                let length = header.split(separator: "\r\n").compactMap { l -> Int? in
                    let parts = l.split(separator: ":", maxSplits: 1)
                    return parts.count == 2 && parts[0].lowercased() == "content-length"
                        ? Int(parts[1].trimmingCharacters(in: .whitespaces)) : nil
                }.first ?? 0
                while buffer.count < end + 4 + length {
                    if eof { return nil }
                    try fill(deadline: deadline)
                }
                let body = Array(buffer[(end + 4)..<(end + 4 + length)])
                buffer.removeSubrange(..<(end + 4 + length))
                return try JSONValue.parse(body)
            }
            if eof { return nil }
            try fill(deadline: deadline)
        }
    }

    private func findHeaderEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }

    /// Reads until end of stream; true when it came within the timeout.
    func waitForEOF(timeout: TimeInterval = 20) throws -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !eof {
            try fill(deadline: deadline)
        }
        return true
    }
}

/// Writes to a peer that may have closed (as the service does after a framing error) must fail with EPIPE,
/// not kill the test process.
let ignoreSIGPIPE: Void = { signal(SIGPIPE, SIG_IGN) }()

func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
    _ = ignoreSIGPIPE
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress.map { $0 + off }, $0.count - off) }
        if n <= 0 { if n < 0, errno == EINTR { continue }; return }
        off += n
    }
}

/// A fresh store root for one spawned service, removed with it.
func scratchEnvironment(root: String) -> [String: String] {
    var env = ProcessInfo.processInfo.environment
    env["ESTIBA_ROOT"] = root
    return env
}

/// `estiba serve --stdio` with pipes on both ends, on its own scratch store.
final class StdioService {
    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    let reader: DescriptorReader
    let root: String
    let ownsRoot: Bool

    init(arguments: [String] = ["serve", "--stdio"], root: String? = nil) throws {
        self.root = root ?? "/tmp/estiba-e2e-root-\(UUID().uuidString.prefix(8))"
        ownsRoot = root == nil
        process.executableURL = URL(fileURLWithPath: Paths.estiba)
        process.arguments = arguments
        process.environment = scratchEnvironment(root: self.root)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        reader = DescriptorReader(fd: output.fileHandleForReading.fileDescriptor)
    }

    func send(_ text: String) { writeAll(input.fileHandleForWriting.fileDescriptor, Array(text.utf8)) }
    func sendLine(_ text: String) { send(text + "\n") }
    func closeInput() { try? input.fileHandleForWriting.close() }

    func waitForExit(timeout: TimeInterval = 20) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline {
                process.terminate()
                throw TestTimeout(what: "estiba to exit")
            }
            usleep(5000)
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        if ownsRoot { try? FileManager.default.removeItem(atPath: root) }
    }

    /// Stops the service (closing its input) and returns its exit status.
    func terminate() throws -> Int32 {
        closeInput()
        return try waitForExit()
    }
}

/// `estiba serve --socket PATH` on a fresh path and its own scratch store.
final class SocketService {
    let process = Process()
    let path: String
    let errors = Pipe()
    let root: String
    private let ownsRoot: Bool

    /// On `root` (left in place), or on a fresh scratch store (removed with the service); `options` go to `serve`.
    init(path: String, root: String? = nil, options: [String] = []) throws {
        self.path = path
        self.root = root ?? "/tmp/estiba-e2e-root-\(UUID().uuidString.prefix(8))"
        ownsRoot = root == nil
        process.executableURL = URL(fileURLWithPath: Paths.estiba)
        process.arguments = ["serve", "--socket", path] + options
        process.environment = scratchEnvironment(root: self.root)
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while !SocketClient.canConnect(path) {
            if Date() > deadline || !process.isRunning { throw TestTimeout(what: "socket \(path)") }
            usleep(5000)
        }
    }

    func client() throws -> SocketClient { try SocketClient(path: path) }

    deinit {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        if ownsRoot { try? FileManager.default.removeItem(atPath: root) }
    }

    func terminate(signal sig: Int32 = SIGTERM, timeout: TimeInterval = 20) throws -> Int32 {
        kill(process.processIdentifier, sig)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning {
            if Date() > deadline { throw TestTimeout(what: "service to stop") }
            usleep(5000)
        }
        return process.terminationStatus
    }

}

struct SocketError: Error { let message: String }

/// A raw Unix-socket client.
final class SocketClient {
    let fd: Int32
    let reader: DescriptorReader

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard SocketClient.connect(fd, path) else {
            close(fd)
            throw SocketError(message: "connect \(path): \(String(cString: strerror(errno)))")
        }
        reader = DescriptorReader(fd: fd)
    }

    static func address(_ path: String) -> sockaddr_un {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        return addr
    }

    static func connect(_ fd: Int32, _ path: String) -> Bool {
        var addr = address(path)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        } == 0
    }

    static func canConnect(_ path: String) -> Bool {
        let s = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        return connect(s, path)
    }

    func send(_ text: String) { writeAll(fd, Array(text.utf8)) }
    func send(bytes: [UInt8]) { writeAll(fd, bytes) }
    func sendLine(_ text: String) { send(text + "\n") }
    func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Sends one request line and returns the next reply.
    func call(_ method: String, _ params: JSONValue = [:], id: Int = 1) throws -> JSONValue {
        let req: JSONValue = ["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method), "params": params]
        sendLine(req.encodedString())
        guard let reply = try reader.json() else { throw SocketError(message: "connection closed") }
        return reply
    }

    deinit { close(fd) }
}

func request(_ id: Int, _ method: String, _ params: JSONValue? = nil) -> String {
    var o: JSONObject = ["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method)]
    if let params { o["params"] = params }
    return JSONValue.object(o).encodedString()
}

extension JSONValue {
    var errorCode: Int64? { self["error"]?["code"]?.intValue }
}

/// Drives a program on a real pseudo-terminal (24×80), like a person at a terminal: each step waits, types its
/// text and reads the screen for a while. Returns the whole screen and then `EXIT=<code>`.
enum Pty {
    struct Step {
        var text: String
        var pause: Double = 0
        var read: Double = 1.0
    }

    static func session(_ argv: [String], startup: Double = 1.5, steps: [Step]) throws -> String {
        let script = #"""
            import os, pty, sys, time, select, json, fcntl, struct, termios
            argv = json.loads(sys.argv[1]); steps = json.loads(sys.argv[2]); startup = float(sys.argv[3])
            pid, fd = pty.fork()
            if pid == 0:
                time.sleep(0.2)
                os.execv(argv[0], argv)
            fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
            def read_for(t):
                out = b""; end = time.time() + t
                while time.time() < end:
                    r, _, _ = select.select([fd], [], [], 0.1)
                    if r:
                        try: out += os.read(fd, 4096)
                        except OSError: break
                return out
            screen = read_for(startup)
            for text, pause, wait in steps:
                time.sleep(pause); os.write(fd, text.encode()); screen += read_for(wait)
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(screen.decode(errors="replace") + "\nEXIT=%d\n" % os.WEXITSTATUS(status))
            """#
        let stepsJSON = JSONValue.array(steps.map { .array([.string($0.text), .double($0.pause), .double($0.read)]) })
        return try python3(script, [String(decoding: JSONValue(argv).encoded(), as: UTF8.self),
                                    String(decoding: stepsJSON.encoded(), as: UTF8.self), String(startup)])
    }
}

/// Runs a Python 3 script with `arguments`; returns what it wrote to standard output.
func python3(_ script: String, _ arguments: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + arguments
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return text
}
