import EstibaJSON
import Foundation
import Glibc

/// `run --rm busybox true` through the service: the time from sending the request to receiving its result.
enum RunLatency {
    static func run(estiba: String, rounds: Int) {
        guard FileManager.default.isExecutableFile(atPath: "/bin/busybox") else {
            print("run latency: skipped (needs /bin/busybox: apt-get install busybox-static)")
            return
        }
        let dir = "/tmp/estiba-bench-run-\(getpid())"
        let rootfs = dir + "/rootfs"
        try? FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
        try? FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
        for a in ["sh", "true"] { symlink("busybox", rootfs + "/bin/" + a) }
        guard let (server, socketPath) = startScratchServer(estiba: estiba, dir: dir) else { return }
        defer {
            server.terminate()
            server.waitUntilExit()
            _ = try? FileManager.default.removeItem(atPath: dir)
        }
        let c = Connection(path: socketPath)
        /// `messages`: how many lines the request produces (`run` of a silent command: container/started,
        /// container/exit, then the result).
        func call(_ method: String, _ params: JSONValue, messages: Int = 1) -> JSONValue {
            let req: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params]
            c.send(req.encoded() + [0x0A])
            return (try? JSONValue.parse(Array(c.receive(messages)))) ?? .null
        }
        _ = call("import", ["source": .string(rootfs), "reference": "busybox"])
        var times: [Double] = []
        var failures = 0
        for r in 0..<(rounds + 5) {
            let a = now()
            let reply = call("run", ["image": "busybox", "command": ["true"], "rm": true], messages: 3)
            if r >= 5 { times.append(now() - a) }
            if reply["result"]?["ExitCode"] != 0 { failures += 1 }
        }
        if failures > 0 { print("run latency: \(failures) runs did not succeed") }
        print(String(format: "run --rm busybox true via the service, %d rounds: median %.2f ms, p95 %.2f ms, min %.2f ms",
            times.count, percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000, (times.min() ?? 0) * 1000))
    }
}
