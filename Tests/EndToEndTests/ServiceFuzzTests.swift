import EstibaJSON
import Foundation
import Glibc
import Testing

/// Every method the service advertises gets params of the wrong type, numbers out of range, huge and empty
/// strings, nulls and deep nesting; after each request the service must still answer `initialize`.
/// Reproducible (a fixed seed), and it never starts a container: every request names images and containers
/// that do not exist, except the few that must be refused before a container is made.
@Suite struct ServiceFuzzTests {
    static func nested(_ depth: Int, object: Bool) -> JSONValue {
        var v: JSONValue = 1
        for _ in 0..<depth { v = object ? ["a": v] : [v] }
        return v
    }

    /// Values no parameter should crash on. None names an existing path, image or container.
    static let hostile: [JSONValue] = [
        .null, true, false,
        0, -1, .int(Int64.max), .int(Int64.min), .int(2_147_483_648), .int(65536),
        .double(1e308), .double(-1e308), .double(-0.0), .double(1.5), .double(0.001),
        "", " ", "\u{0}", "NaN", "Infinity", "-Infinity", "-0", "1e308", "-1", "99999999999g", ":", "a:b:c",
        "sha256:", "☃\u{202E}", .string(String(repeating: "${a:-", count: 30_000)), .string(String(repeating: "x", count: 100_000)),
        [], [""], [.null], [1], ["a": "b"], .array(Array(repeating: "fuzz", count: 10_000)),
        [:], ["": ""], ["a": .null],
        nested(1000, object: false), nested(1000, object: true),
    ]

    /// Harmless values for the required params, so that each request gets past them to the one being fuzzed.
    static func base(_ method: String, scratch: String) -> JSONObject {
        switch method {
        case "run": return ["image": "fuzz-none:latest"]
        case "exec": return ["container": "fuzz-none", "command": ["true"]]
        case "start", "rm": return ["containers": ["fuzz-none"]]
        case "volumeRemove": return ["names": ["fuzz-none"]]
        case "stop", "kill", "wait", "logs", "commit", "input": return ["container": "fuzz-none"]
        case "resize": return ["container": "fuzz-none", "rows": 24, "cols": 80]
        case "inspect", "history": return ["image": "fuzz-none"]
        case "tag": return ["source": "fuzz-none", "target": "fuzz-none:2"]
        case "rmi": return ["images": ["fuzz-none"]]
        case "save": return ["images": ["fuzz-none"], "path": .string(scratch + "/never.tar")]
        case "load": return ["path": .string(scratch + "/missing.tar")]
        case "import": return ["source": .string(scratch + "/missing")]
        case "build": return ["context": .string(scratch + "/context"), "dryRun": true, "progress": false]
        case "parse": return ["text": "FROM scratch\n"]
        case "volumeCreate": return ["name": "fuzz-volume"]
        default: return [:]
        }
    }

    final class Caller {
        let client: SocketClient
        var nextID = 1
        var requests = 0
        init(_ client: SocketClient) { self.client = client }

        func line(_ id: Int, _ method: String, _ params: JSONValue?) -> String {
            var o: JSONObject = ["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method)]
            if let params { o["params"] = params }
            return JSONValue.object(o).encodedString() + "\n"
        }

        /// Sends one request; returns its reply (notifications before it are skipped).
        @discardableResult
        func call(_ method: String, _ params: JSONValue?) throws -> JSONValue {
            let id = nextID
            nextID += 1
            requests += 1
            client.send(line(id, method, params))
            return try reply(id, after: method)
        }

        /// Replies that came before the one being waited for (a deferred request may finish after a later one).
        var early: [Int64: JSONValue] = [:]

        func reply(_ id: Int, after method: String) throws -> JSONValue {
            if let m = early.removeValue(forKey: Int64(id)) { return m }
            while let m = try client.reader.json(timeout: 30) {
                if m["id"] == .int(Int64(id)) { return m }
                if let other = m["id"]?.intValue { early[other] = m }
            }
            throw SocketError(message: "the service closed the connection after \(method)")
        }

        /// The request and, right behind it, `initialize`: both must be answered.
        func probe(_ method: String, _ params: JSONValue?) throws {
            let shown = String((params?.encodedString() ?? "(none)").prefix(200))
            let id = nextID
            nextID += 2
            requests += 1
            client.send(line(id, method, params) + line(id + 1, "initialize", [:]))
            do {
                let answer = try reply(id, after: method)
                #expect(
                    answer["result"] != nil || answer["error"]?["message"]?.stringValue?.isEmpty == false,
                    "\(method) \(shown): \(answer.encodedString().prefix(300))")
                let alive = try reply(id + 1, after: method)
                #expect(alive["result"]?["name"] == "estiba", "after \(method) \(shown)")
            } catch {
                Issue.record("\(method) \(shown): no reply (\(error))")
                throw error
            }
        }
    }

    @Test func hostileParamsNeverStopTheService() throws {
        let scratch = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.createDirectory(atPath: scratch.path + "/context", withIntermediateDirectories: true)
        let service = try SocketService(path: scratch.appendingPathComponent("fuzz.sock").path)
        let caller = Caller(try service.client())

        let doc = try JSONValue.parse(Array(try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))))
        var paramNames: [String: [String]] = [:]
        for m in doc["methods"]?.arrayValue ?? [] {
            guard let name = m["name"]?.stringValue else { continue }
            paramNames[name] = (m["params"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        }
        let advertised = try caller.call("initialize", [:])["result"]?["methods"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(advertised.count > 25)
        // Valid params to these would end the service; they only get ones that must be refused.
        let ending: Set<String> = ["shutdown", "exit"]

        for method in advertised {
            let names = (paramNames[method] ?? []) + ["fuzzUnknown"]
            let base = Self.base(method, scratch: scratch.path)
            // The params member itself of the wrong shape.
            for whole: JSONValue in ["x", 5, [], [1, "a"], Self.nested(1000, object: false)] where !(ending.contains(method) && whole == []) {
                try caller.probe(method, whole)
            }
            if ending.contains(method) {
                for v in Self.hostile { try caller.probe(method, ["fuzzUnknown": v]) }
                continue
            }
            for name in names {
                for v in Self.hostile {
                    var p = base
                    p[name] = v
                    try caller.probe(method, .object(p))
                }
            }
        }

        // Numbers JSON cannot hold (the reader refuses the line, then the connection goes on).
        for number in ["1e999", "-1e999", "NaN", "Infinity", "-0", "0e-999", "123456789012345678901234567890"] {
            let id = caller.nextID
            caller.nextID += 1
            caller.client.send(#"{"jsonrpc":"2.0","id":\#(id),"method":"kill","params":{"container":"fuzz-none","signal":\#(number)}}"# + "\n")
            let reply = try caller.client.reader.json(timeout: 30)
            #expect(reply?["error"]?["code"]?.intValue != nil, "\(number): \(reply?.encodedString() ?? "no reply")")
            try caller.probe("initialize", [:])
        }

        // Random mixes of several hostile params, from a fixed seed.
        var rng = SeededGenerator(seed: 0xE57_1BA)
        let fuzzable = advertised.filter { !ending.contains($0) }
        for _ in 0..<300 {
            guard let method = fuzzable.randomElement(using: &rng) else { break }
            var p = Self.base(method, scratch: scratch.path)
            let names = (paramNames[method] ?? []) + ["fuzzUnknown"]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                if let name = names.randomElement(using: &rng), let v = Self.hostile.randomElement(using: &rng) { p[name] = v }
            }
            try caller.probe(method, .object(p))
        }

        // With a real (tiny, commandless) image, limits and users that once crashed while the container was made;
        // `createOnly`, so that nothing would run even if one were accepted.
        let rootfs = scratch.path + "/rootfs"
        try FileManager.default.createDirectory(atPath: rootfs + "/etc", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: rootfs + "/etc/passwd", atomically: true, encoding: .utf8)
        let imported = try caller.call("import", ["source": .string(rootfs), "reference": "fuzz-tiny:latest", "changes": ["CMD [\"/nothing\"]"]])
        #expect(imported["result"]?["Id"] != nil, "\(imported.encodedString())")
        for extra: JSONObject in [
            ["cpus": .double(1e308)], ["cpus": .double(1e-300)], ["cpus": .int(Int64.max)], ["memory": "99999999999g"], ["memory": .double(1e308)],
            ["memory": "1b"], ["pidsLimit": .double(1e308)], ["user": ":"], ["user": "::"], ["user": ":0"],
        ] {
            var p: JSONObject = ["image": "fuzz-tiny:latest", "createOnly": true]
            for (k, v) in extra { p[k] = v }
            let reply = try caller.call("run", .object(p))
            #expect(reply.errorCode == -32602, "run \(JSONValue.object(p).encodedString()): \(reply.encodedString())")
            try caller.probe("ps", ["all": true])
        }

        // Nothing was left behind.
        let left = try caller.call("ps", ["all": true])["result"]?["containers"]?.arrayValue ?? []
        #expect(left.isEmpty, "containers left: \(left.count)")
        let ids = left.compactMap { $0["Id"] }
        if !ids.isEmpty { try caller.call("rm", ["containers": .array(ids), "force": true]) }
        #expect(caller.requests > 1000)
        #expect(try service.terminate() == 0)
    }
}
