import Foundation
import Glibc
import System

/// A registry front that wants Bearer tokens (a Python proxy to a `LocalRegistry`): `/token` hands out tokens for
/// `alice:s3cret` (Basic), each good for `uses` requests; other requests without a good token get a 401 challenge.
/// Its log lists each token request's query, one per line.
final class TokenProxy {
    let port: Int
    let log: String
    private let process: Process

    var host: String { "127.0.0.1:\(port)" }

    init(upstream: LocalRegistry, uses: Int) throws {
        port = try LocalRegistry.freePort()
        log = upstream.directory + "/token-log"
        let script = """
            import sys, base64, http.server, http.client, itertools, json
            port, upstream, uses, log = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
            tokens, counter = {}, itertools.count(1)
            class H(http.server.BaseHTTPRequestHandler):
                timeout = 2
                def log_message(self, *a): pass
                def send(self, status, body=b"", headers={}):
                    self.send_response(status)
                    for k, v in headers.items(): self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD": self.wfile.write(body)
                def do_HEAD(self): self.do_GET()
                def do_GET(self):
                    if self.path.startswith("/token"):
                        with open(log, "a") as f: f.write(self.path.split("?", 1)[-1] + "\\n")
                        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"alice:s3cret").decode():
                            return self.send(401)
                        t = "t%d" % next(counter); tokens[t] = uses
                        return self.send(200, json.dumps({"token": t, "expires_in": 300}).encode(), {"Content-Type": "application/json"})
                    auth = self.headers.get("Authorization", "")
                    t = auth[len("Bearer "):] if auth.startswith("Bearer ") else None
                    if t not in tokens or tokens[t] <= 0:
                        return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token"}]}', {
                            "WWW-Authenticate": 'Bearer realm="http://127.0.0.1:%d/token",service="estiba-test"' % port})
                    tokens[t] -= 1
                    c = http.client.HTTPConnection(upstream)
                    c.request(self.command, self.path, headers={k: v for k, v in self.headers.items() if k.lower() in ("accept", "range")})
                    r = c.getresponse(); body = r.read()
                    self.send(r.status, body, {k: v for k, v in r.getheaders() if k.lower() in ("content-type", "docker-content-digest", "location")})
            http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, String(port), upstream.host, String(uses), log]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<200 {
            if LocalRegistry.accepts(port) { return }
            usleep(25_000)
        }
        stop()
        throw EstibaError(.unavailable, "the token proxy did not start on port \(port)")
    }

    /// The queries of the token requests so far.
    var tokenRequests: [String] {
        ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// Stops it with SIGKILL (the test process may hand SIGTERM down ignored).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
