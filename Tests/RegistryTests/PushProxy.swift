import Foundation
import Glibc
import System

/// A recording front for a `LocalRegistry` (a Python proxy): every request is forwarded with its body and logged as
/// `METHOD PATH?QUERY [Content-Range]`, one a line, and `Location` answers are pointed back at the proxy. With
/// `tokens`, it wants Bearer tokens as `TokenProxy` does (`/token` gives them for `alice:s3cret` and logs each
/// token request's query in `tokenLog`).
final class PushProxy {
    let port: Int
    let log: String
    let tokenLog: String
    private let process: Process

    var host: String { "127.0.0.1:\(port)" }

    init(upstream: LocalRegistry, tokens: Bool = false) throws {
        port = try LocalRegistry.freePort()
        log = upstream.directory + "/proxy-log-\(port)"
        tokenLog = upstream.directory + "/proxy-token-log-\(port)"
        let script = """
            import sys, base64, http.server, http.client, itertools, json
            port, upstream, tokens, log, tokenlog = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "1", sys.argv[4], sys.argv[5]
            issued, counter = set(), itertools.count(1)
            class H(http.server.BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"
                def log_message(self, *a): pass
                def send(self, status, body=b"", headers={}):
                    self.send_response(status)
                    for k, v in headers.items(): self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if self.command != "HEAD": self.wfile.write(body)
                def handle_any(self):
                    n = int(self.headers.get("Content-Length") or 0)
                    body = self.rfile.read(n) if n else b""
                    if self.path.startswith("/token"):
                        with open(tokenlog, "a") as f: f.write(self.path.split("?", 1)[-1] + "\\n")
                        if self.headers.get("Authorization") != "Basic " + base64.b64encode(b"alice:s3cret").decode():
                            return self.send(401)
                        t = "t%d" % next(counter); issued.add(t)
                        return self.send(200, json.dumps({"token": t, "expires_in": 300}).encode(), {"Content-Type": "application/json"})
                    if tokens:
                        auth = self.headers.get("Authorization", "")
                        if auth[len("Bearer "):] not in issued or not auth.startswith("Bearer "):
                            return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"token"}]}', {
                                "WWW-Authenticate": 'Bearer realm="http://127.0.0.1:%d/token",service="estiba-test"' % port})
                    with open(log, "a") as f:
                        f.write(self.command + " " + self.path + (" " + self.headers["Content-Range"] if self.headers.get("Content-Range") else "") + "\\n")
                    c = http.client.HTTPConnection(upstream)
                    keep = ("accept", "range", "content-type", "content-range")
                    headers = {k: v for k, v in self.headers.items() if k.lower() in keep}
                    headers["Content-Length"] = str(len(body))
                    c.request(self.command, self.path, body=body, headers=headers)
                    r = c.getresponse(); data = r.read()
                    out = {}
                    for k, v in r.getheaders():
                        if k.lower() in ("content-type", "docker-content-digest", "location", "range", "docker-upload-uuid"):
                            out[k] = v.replace("http://" + upstream, "http://127.0.0.1:%d" % port)
                    self.send(r.status, data, out)
                do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = handle_any
            http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
            """
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, String(port), upstream.host, tokens ? "1" : "0", log, tokenLog]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        for _ in 0..<200 {
            if LocalRegistry.accepts(port) { return }
            usleep(25_000)
        }
        stop()
        throw EstibaError(.unavailable, "the push proxy did not start on port \(port)")
    }

    /// The requests forwarded so far (`METHOD PATH?QUERY [Content-Range]`).
    var requests: [String] { Self.lines(log) }
    /// The queries of the token requests so far.
    var tokenRequests: [String] { Self.lines(tokenLog) }

    /// Forgets the requests recorded so far.
    func clear() { try? FileManager.default.removeItem(atPath: log) }

    private static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}
