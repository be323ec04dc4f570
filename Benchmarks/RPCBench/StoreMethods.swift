import EstibaJSON
import Foundation
import Glibc

/// Latency of `images`, `inspect` and `history` over the socket with `count` images in the store.
enum StoreMethods {
    static func run(estiba: String, count: Int, rounds: Int) {
        let dir = "/tmp/estiba-bench-store-\(getpid())"
        let tree = dir + "/tree"
        mkdir(dir, 0o700)
        mkdir(tree, 0o755)
        for i in 0..<10 {
            let fd = open("\(tree)/file\(i)", O_WRONLY | O_CREAT, 0o644)
            _ = "content \(i)\n".withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        guard let (server, socketPath) = startScratchServer(estiba: estiba, dir: dir) else { return }
        defer {
            server.terminate()
            server.waitUntilExit()
            _ = try? FileManager.default.removeItem(atPath: dir)
        }
        let c = Connection(path: socketPath)
        func call(_ method: String, _ params: JSONValue) -> ArraySlice<UInt8> {
            let req: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": params]
            c.send(req.encoded() + [0x0A])
            return c.receive(1)
        }
        let t0 = now()
        for i in 0..<count {
            _ = call("import", ["source": .string(tree), "reference": .string("img\(i):1"), "changes": [.string("LABEL n=\(i)")]])
        }
        print(String(format: "store methods, %d images (imported over the socket in %.2f s):", count, now() - t0))
        for (method, params) in [
            ("images", JSONValue.object([:])), ("inspect", ["image": .string("img\(count / 2):1")]),
            ("history", ["image": .string("img\(count / 2):1")]),
        ] {
            var times: [Double] = []
            var bytes = 0
            for r in 0..<(rounds + 10) {
                let a = now()
                let reply = call(method, params)
                if r >= 10 { times.append(now() - a) }
                bytes = reply.count
            }
            print(String(format: "  %@: median %.3f ms, p95 %.3f ms (%d bytes)", method, percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000, bytes))
        }
    }
}
