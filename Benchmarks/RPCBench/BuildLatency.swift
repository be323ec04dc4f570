import EstibaJSON
import Foundation
import Glibc

/// `build` through the service on an existing store: the time from sending the request to receiving its result,
/// for an unchanged rebuild, a config.txt change with ADD last, and a dry run after a change with ADD third.
enum BuildLatency {
    static func run(estiba: String, store: String, context: String, rounds: Int) {
        let dir = "/tmp/estiba-bench-build-\(getpid())"
        mkdir(dir, 0o700)
        guard let (server, socketPath) = startScratchServer(estiba: estiba, dir: dir, root: store) else { return }
        defer {
            server.terminate()
            server.waitUntilExit()
            _ = try? FileManager.default.removeItem(atPath: dir)
        }
        let c = Connection(path: socketPath)
        func build(_ params: JSONObject) -> (Double, JSONValue) {
            var p = params
            p.append("context", .string(context))
            p.append("progress", false)
            let req: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "build", "params": .object(p)]
            let a = now()
            c.send(req.encoded() + [0x0A])
            let reply = (try? JSONValue.parse(Array(c.receive(1)))) ?? .null
            return (now() - a, reply)
        }
        func median(_ name: String, _ body: (Int) -> (Double, JSONValue)) {
            _ = body(-1)
            var times: [Double] = []
            for i in 0..<rounds {
                let (t, reply) = body(i)
                if reply["result"] == nil { print("\(name): failed: \(reply)") }
                times.append(t)
            }
            print(String(format: "%@ via the service: median %.2f ms, min %.2f ms", name, percentile(times, 0.5) * 1000, (times.min() ?? 0) * 1000))
        }
        let config = context + "/config.txt"
        median("build, unchanged rebuild") { _ in build(["tags": ["bench:1"]]) }
        median("build, config.txt changed with ADD last") { i in
            try? "db_host=rpc\(i)\n".write(toFile: config, atomically: true, encoding: .utf8)
            return build(["tags": ["bench:2"], "dockerfile": .string(context + "/Dockerfile.add-last")])
        }
        median("build --dry-run, config.txt changed with ADD third") { i in
            try? "db_host=dry\(i)\n".write(toFile: config, atomically: true, encoding: .utf8)
            return build(["dryRun": true])
        }
    }
}
