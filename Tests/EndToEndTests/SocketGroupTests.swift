import EstibaJSON
import Foundation
import Glibc
import Testing

/// The service's socket shared with a group, as Docker's with its `docker` group: each client's `exit` ends its
/// own connection only, and a user's language server hands its session to the root service when the user may
/// reach its socket.
@Suite struct SocketGroupTests {
    @Test func aClientsShutdownAndExitEndOnlyItsOwnConnection() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let service = try SocketService(path: dir.path + "/s.sock")
        let a = try service.client()
        let b = try service.client()
        #expect(try a.call("shutdown", id: 1)["result"] == .null)
        #expect(try a.call("images", id: 2).errorCode != nil, "the client that shut down gets nothing but exit")
        #expect(try b.call("images", id: 3)["result"]?["images"]?.arrayValue != nil, "another client is served")
        a.sendLine(#"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(try a.reader.json(timeout: 10) == nil, "its connection ends")
        #expect(service.process.isRunning)
        #expect(try b.call("images", id: 4)["result"]?["images"]?.arrayValue != nil)
        #expect(try service.client().call("images", id: 5)["result"]?["images"]?.arrayValue != nil)
    }

    @Test func aUserInTheSocketGroupGetsTheStoreFeaturesThroughTheRootService() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("this test runs a language server as nobody: it needs root and setpriv") }
            return
        }
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let base = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: base) }
        // nobody may pass through the directory to the socket, and nothing more.
        chmod(base, 0o711)
        let socket = base + "/estiba.sock"
        let service = try SocketService(path: socket, root: cli.root, options: ["--socket-group", "nogroup"])
        var status = stat()
        #expect(stat(socket, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o660 && status.st_gid == 65534, "mode \(String(status.st_mode & 0o777, radix: 8)), group \(status.st_gid)")
        let context = base + "/ctx"
        try FileManager.default.createDirectory(atPath: context, withIntermediateDirectories: true)
        try "x".write(toFile: context + "/a.txt", atomically: true, encoding: .utf8)
        let uri = "file://" + context + "/Dockerfile"

        // A language server started as nobody, whose own store is out of reach.
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", Paths.estiba, "serve", "--stdio"]
        process.environment = ["ESTIBA_ROOT": base + "/private", "PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "ESTIBA_HOST": "unix://" + socket]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            try? input.fileHandleForWriting.close()
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
        let reader = DescriptorReader(fd: output.fileHandleForReading.fileDescriptor)
        func send(_ m: JSONValue) {
            let body = String(decoding: m.encoded(), as: UTF8.self)
            writeAll(input.fileHandleForWriting.fileDescriptor, Array("Content-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8))
        }
        var shown: [String] = []
        func reply(_ id: Int64) throws -> JSONValue? {
            while let m = try reader.frame(timeout: 30) {
                if m["method"] == "window/showMessage", let text = m["params"]?["message"]?.stringValue { shown.append(text) }
                if m["id"] == .int(id), m["method"] == nil { return m }
            }
            return nil
        }
        send(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": ["capabilities": ["textDocument": ["hover": ["contentFormat": ["markdown"]]]]]])
        #expect(try reply(1)?["result"]?["capabilities"]?["inlayHintProvider"] != nil)
        send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        send(["jsonrpc": "2.0", "method": "textDocument/didOpen", "params": ["textDocument": ["uri": .string(uri), "languageId": "dockerfile", "version": 1, "text": "FROM busybox\nCOPY a.txt /a.txt\n"]]])
        // The image from the root store.
        send(["jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": ["textDocument": ["uri": .string(uri)], "position": ["line": 0, "character": 7]]])
        let id = try cli.run(["inspect", "-f", "{{.Id}}", "busybox"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        let hover = try reply(2)?["result"]?["contents"]?["value"]?.stringValue ?? ""
        #expect(hover.contains("`\(id.dropFirst(7).prefix(12))`"), "\(hover)")
        // The build cache's hints, from the root service's dry run.
        send(["jsonrpc": "2.0", "id": 3, "method": "textDocument/inlayHint", "params": ["textDocument": ["uri": .string(uri)], "range": ["start": ["line": 0, "character": 0], "end": ["line": 2, "character": 0]]]])
        let hints = try reply(3)?["result"]?.arrayValue ?? []
        #expect(hints.contains { $0["label"]?.stringValue?.hasPrefix("not cached") == true }, "\(hints)")
        #expect(shown.isEmpty, "nothing is off: \(shown)")

        send(["jsonrpc": "2.0", "id": 4, "method": "shutdown"])
        #expect(try reply(4)?["result"] == .null)
        send(["jsonrpc": "2.0", "method": "exit"])
        let deadline = Date().addingTimeInterval(20)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        #expect(!process.isRunning && process.terminationStatus == 0)
        #expect(service.process.isRunning, "the root service goes on")
        #expect(try service.client().call("images")["result"]?["images"]?.arrayValue?.isEmpty == false)
    }
}
