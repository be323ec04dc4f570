import Foundation
import Glibc
import System

/// A registry front (a Python proxy to a `LocalRegistry`) with faults. `slow`: blob bodies come 16 KiB every
/// 0.1 s, so a pull can be cancelled mid-layer. `flaky`: the first request for each path is answered 503, the
/// second for a blob is cut off halfway; faults and `Range` requests are logged (`503 PATH`, `cut PATH`,
/// `range PATH bytes=N-`). `tamper`: manifests come with a blank appended (valid JSON, another digest).
final class FaultyProxy {
    enum Mode: String { case slow, flaky, tamper }

    let port: Int
    let log: String
    private let process: Process

    var host: String { "127.0.0.1:\(port)" }

    /// The faults so far.
    var faults: [String] { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    init(upstream: LocalRegistry, mode: Mode) throws {
        port = try LocalRegistry.freePort()
        log = upstream.directory + "/proxy-faults"
        let script = """
            import sys, time, http.server, http.client, collections
            port, upstream, mode, log = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
            seen = collections.Counter()
            def note(line):
                with open(log, "a") as f: f.write(line + "\\n")
            class H(http.server.BaseHTTPRequestHandler):
                timeout = 2
                def log_message(self, *a): pass
                def do_GET(self):
                    seen[self.path] += 1
                    if mode == "flaky" and self.path != "/v2/" and seen[self.path] == 1:
                        note("503 " + self.path)
                        body = b'{"errors":[{"code":"UNAVAILABLE","message":"try again"}]}'
                        self.send_response(503); self.send_header("Content-Length", str(len(body))); self.end_headers()
                        self.wfile.write(body); return
                    if self.headers.get("Range"): note("range " + self.path + " " + self.headers.get("Range"))
                    c = http.client.HTTPConnection(upstream)
                    c.request("GET", self.path, headers={k: v for k, v in self.headers.items() if k.lower() in ("accept", "range")})
                    r = c.getresponse(); body = r.read()
                    if mode == "tamper" and "/manifests/" in self.path: body += b" "
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() in ("content-type", "docker-content-digest", "www-authenticate", "content-range"): self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    big = "/blobs/" in self.path and len(body) > 65536
                    if mode == "flaky" and big and seen[self.path] == 2:
                        note("cut " + self.path)
                        self.wfile.write(body[:len(body) // 2]); self.wfile.flush()
                        self.close_connection = True; return
                    slow = mode == "slow" and big
                    for i in range(0, len(body), 16384):
                        self.wfile.write(body[i:i + 16384]); self.wfile.flush()
                        if slow: time.sleep(0.1)
            http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, String(port), upstream.host, mode.rawValue, log]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<200 {
            if LocalRegistry.accepts(port) { return }
            usleep(25_000)
        }
        stop()
        throw EstibaError(.unavailable, "the proxy did not start on port \(port)")
    }

    /// Stops it with SIGKILL (the test process may hand SIGTERM down ignored).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
