import EstibaJSON
import Foundation
import Glibc
import Testing

@Suite struct StdioServiceTests {
    @Test func newlineSessionCoversTheProtocol() throws {
        let s = try StdioService()
        s.sendLine(request(1, "initialize", ["clientInfo": ["name": "test"]]))
        let initReply = try #require(try s.reader.json())
        #expect(initReply["id"] == 1)
        #expect(initReply["result"]?["name"] == "estiba")
        #expect(initReply["result"]?["methods"]?.arrayValue?.contains("parse") == true)

        s.sendLine(request(2, "parse", ["text": "FROM busybox AS base\nRUN echo hi \\\n  there\nCMD [\"sh\"]\n"]))
        let parsed = try #require(try s.reader.json())
        let instructions = try #require(parsed["result"]?["instructions"]?.arrayValue)
        #expect(instructions.count == 3)
        #expect(instructions[1]["args"] == ["echo hi   there"])
        #expect(instructions[1]["range"]?["end"]?["line"] == 2)
        #expect(instructions[2]["json"] == true)
        #expect(parsed["result"]?["stages"]?.arrayValue?.first?["name"] == "base")

        // A syntax error is a diagnostic, not a failed request.
        s.sendLine(request(3, "parse", ["text": "FROM a\nENV PATH\n"]))
        let bad = try #require(try s.reader.json())
        let diags = try #require(bad["result"]?["diagnostics"]?.arrayValue)
        #expect(diags.first?["severity"] == "error")
        #expect(diags.first?["message"] == "ENV must have two arguments")
        #expect(diags.first?["range"]?["start"]?["line"] == 1)

        // Errors: unknown method, bad params, garbage, invalid request.
        s.sendLine(request(4, "no-such-method"))
        #expect(try s.reader.json()?.errorCode == -32601)
        s.sendLine(request(5, "parse", ["text": .int(3)]))
        #expect(try s.reader.json()?.errorCode == -32602)
        s.sendLine(request(6, "parse", ["txt": "x"]))
        #expect(try s.reader.json()?.errorCode == -32602)
        s.sendLine(request(7, "parse", ["text": "FROM a", "path": "/x"]))
        #expect(try s.reader.json()?.errorCode == -32602)
        s.sendLine("{not json")
        let pe = try #require(try s.reader.json())
        #expect(pe.errorCode == -32700)
        #expect(pe["id"] == .null)
        s.sendLine(#"{"jsonrpc":"2.0","id":8,"method":"parse","params":"text"}"#)
        #expect(try s.reader.json()?.errorCode == -32600)
        s.sendLine(request(9, "parse", ["path": "/definitely/not/here/Dockerfile"]))
        let nf = try #require(try s.reader.json())
        #expect(nf.errorCode == -32001)
        #expect(nf["error"]?["data"]?["file"] == "/definitely/not/here/Dockerfile")

        // Notifications get no reply; an all-notification batch gets none either; an empty batch gets one error.
        s.sendLine(#"{"jsonrpc":"2.0","method":"parse","params":{"text":"FROM a"}}"#)
        s.sendLine(#"[{"jsonrpc":"2.0","method":"initialize"},{"jsonrpc":"2.0","method":"nope"}]"#)
        s.sendLine("[]")
        let empty = try #require(try s.reader.json())
        #expect(empty.errorCode == -32600)
        #expect(empty["id"] == .null)

        // A mixed batch answers every request in one array.
        s.sendLine(
            "[" + request(10, "initialize") + #",{"jsonrpc":"2.0","method":"initialize"},1,"#
                + request(11, "parse", ["text": "FROM x"]) + "]")
        let batch = try #require(try s.reader.json()?.arrayValue)
        #expect(batch.count == 3)
        #expect(Set(batch.compactMap { $0["id"]?.intValue }) == [10, 11])
        #expect(batch.contains { $0.errorCode == -32600 && $0["id"] == .null })

        // id null is a request and is answered with id null.
        s.sendLine(#"{"jsonrpc":"2.0","id":null,"method":"initialize"}"#)
        let nullID = try #require(try s.reader.json())
        #expect(nullID["id"] == .null)
        #expect(nullID["result"]?["name"] == "estiba")

        s.closeInput()
        #expect(try s.reader.json() == nil)
        #expect(try s.waitForExit() == 0)
    }

    @Test func contentLengthFramingIsAnsweredInKind() throws {
        let s = try StdioService()
        for (i, body) in [request(1, "initialize"), request(2, "parse", ["text": "FROM a\nRUN b"])].enumerated() {
            s.send("Content-Length: \(body.utf8.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(body)")
            let reply = try #require(try s.reader.frame())
            #expect(reply["id"]?.intValue == Int64(i + 1))
        }
        // Shutdown, then a request is refused, then exit ends the process with status 0.
        let shut = request(3, "shutdown")
        s.send("Content-Length: \(shut.utf8.count)\r\n\r\n\(shut)")
        #expect(try s.reader.frame()?["result"] == .null)
        let late = request(4, "parse", ["text": "FROM a"])
        s.send("Content-Length: \(late.utf8.count)\r\n\r\n\(late)")
        #expect(try s.reader.frame()?.errorCode == -32003)
        let exit = #"{"jsonrpc":"2.0","method":"exit"}"#
        s.send("Content-Length: \(exit.utf8.count)\r\n\r\n\(exit)")
        #expect(try s.waitForExit() == 0)
    }

    @Test func exitWithoutShutdownExitsWithOne() throws {
        let s = try StdioService()
        s.sendLine(#"{"jsonrpc":"2.0","method":"exit"}"#)
        #expect(try s.waitForExit() == 1)
    }

    @Test func worksWithDevNullAndRegularFiles() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // stdin and stdout /dev/null: a clean exit, no crash.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.estiba)
        p.arguments = ["serve", "--stdio"]
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)

        // stdin and stdout regular files.
        let input = dir.appendingPathComponent("in.jsonl")
        let output = dir.appendingPathComponent("out.jsonl")
        try (request(1, "initialize") + "\n" + request(2, "parse", ["text": "FROM a"]) + "\n").write(
            to: input, atomically: true, encoding: .utf8)
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        let q = Process()
        q.executableURL = URL(fileURLWithPath: Paths.estiba)
        q.arguments = ["serve", "--stdio"]
        q.standardInput = try FileHandle(forReadingFrom: input)
        q.standardOutput = try FileHandle(forWritingTo: output)
        try q.run()
        q.waitUntilExit()
        #expect(q.terminationStatus == 0)
        let lines = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(try JSONValue.parse(String(lines[1]))["result"]?["instructions"]?.arrayValue?.count == 1)
    }

    @Test func worksOnATerminal() throws {
        // A pty on both ends, as when a person runs `estiba serve --stdio` by hand.
        var master: Int32 = 0
        var slave: Int32 = 0
        guard openpty(&master, &slave, nil, nil, nil) == 0 else { Issue.record("openpty failed"); return }
        defer { close(master) }
        var attrs = termios()
        tcgetattr(slave, &attrs)
        cfmakeraw(&attrs)
        tcsetattr(slave, TCSANOW, &attrs)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Paths.estiba)
        p.arguments = ["serve", "--stdio"]
        let tty = FileHandle(fileDescriptor: slave, closeOnDealloc: true)
        p.standardInput = tty
        p.standardOutput = tty
        try p.run()
        try tty.close()
        writeAll(master, Array((request(1, "initialize") + "\n").utf8))
        let reader = DescriptorReader(fd: master)
        let reply = try #require(try reader.json())
        #expect(reply["result"]?["name"] == "estiba")
        writeAll(master, Array((request(2, "shutdown") + "\n" + #"{"jsonrpc":"2.0","method":"exit"}"# + "\n").utf8))
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }
}
