import Foundation
import Glibc
import System

/// A registry front (a Python proxy to a `LocalRegistry`) that sends blob bodies slowly, 16 KiB every 0.1 s, so
/// a pull can be cancelled mid-layer.
final class SlowProxy {
    let port: Int
    private let process: Process

    var host: String { "127.0.0.1:\(port)" }

    init(upstream: LocalRegistry) throws {
        port = try LocalRegistry.freePort()
        let script = """
            import sys, time, http.server, http.client
            port, upstream = int(sys.argv[1]), sys.argv[2]
            class H(http.server.BaseHTTPRequestHandler):
                timeout = 2
                def log_message(self, *a): pass
                def do_GET(self):
                    c = http.client.HTTPConnection(upstream)
                    c.request("GET", self.path, headers={k: v for k, v in self.headers.items() if k.lower() in ("accept", "range")})
                    r = c.getresponse(); body = r.read()
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() in ("content-type", "docker-content-digest", "www-authenticate"): self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    slow = "/blobs/" in self.path and len(body) > 65536
                    for i in range(0, len(body), 16384):
                        self.wfile.write(body[i:i + 16384]); self.wfile.flush()
                        if slow: time.sleep(0.1)
            http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, String(port), upstream.host]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<200 {
            if LocalRegistry.accepts(port) { return }
            usleep(25_000)
        }
        stop()
        throw EstibaError(.unavailable, "the slow proxy did not start on port \(port)")
    }

    /// Stops it with SIGKILL (the test process may hand SIGTERM down ignored).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
