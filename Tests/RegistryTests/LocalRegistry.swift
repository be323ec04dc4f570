import Foundation
import Glibc
import ImageStore
import System
import Testing

/// Debian's docker-registry on a free loopback port, with its own storage and config (and htpasswd users when
/// given); stopped by `stop()`.
final class LocalRegistry {
    let directory: String
    let port: Int
    let users: [(String, String)]
    private let process: Process

    var host: String { "127.0.0.1:\(port)" }

    /// `tls`: served over HTTPS with a self-signed certificate for 127.0.0.1 (which clients do not trust).
    init(users: [(String, String)] = [], tls: Bool = false) throws {
        directory = try temporaryDirectory("registry")
        port = try Self.freePort()
        self.users = users
        var auth = ""
        var http = "http:\n  addr: 127.0.0.1:\(port)\n"
        if tls {
            let made = try run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem",
            ])
            #expect(made.status == 0, "openssl: \(made.output)")
            http += "  tls:\n    certificate: \(directory)/cert.pem\n    key: \(directory)/key.pem\n"
        }
        if !users.isEmpty {
            var lines = ""
            for (user, password) in users { lines += try run("/usr/bin/htpasswd", ["-Bbn", user, password]).output.trimmingCharacters(in: .whitespacesAndNewlines) + "\n" }
            try lines.write(toFile: directory + "/htpasswd", atomically: true, encoding: .utf8)
            auth = "auth:\n  htpasswd:\n    realm: estiba-test\n    path: \(directory)/htpasswd\n"
        }
        let config = """
            version: 0.1
            log:
              level: error
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: \(directory)/data
            \(http)\(auth)
            """
        try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
        process.arguments = ["serve", directory + "/config.yml"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        // Ready once it accepts connections.
        for _ in 0..<200 {
            if Self.accepts(port) { return }
            usleep(25_000)
        }
        stop()
        throw EstibaError(.unavailable, "docker-registry did not start on port \(port)")
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        removeTree(directory)
    }

    /// Copies an image with skopeo (`docker://` destinations on this registry are plain HTTP).
    func copy(_ source: String, to repositoryAndTag: String, _ extra: [String] = []) throws {
        var args = ["copy", "-q", "--dest-tls-verify=false"] + extra
        if let (user, password) = users.first { args += ["--dest-creds", "\(user):\(password)"] }
        let result = try run("/usr/bin/skopeo", args + [source, "docker://\(host)/\(repositoryAndTag)"])
        #expect(result.status == 0, "skopeo copy: \(result.output)")
    }

    /// The exact bytes of an image's manifest (`--raw`) or config (`--config`) here, as skopeo reads them.
    func inspect(_ repositoryAndTag: String, _ what: String) throws -> [UInt8] {
        var args = ["inspect", "--raw", "--tls-verify=false"] + (what == "--config" ? ["--config"] : [])
        if let (user, password) = users.first { args += ["--creds", "\(user):\(password)"] }
        let result = try run("/usr/bin/skopeo", args + ["docker://\(host)/\(repositoryAndTag)"])
        #expect(result.status == 0, "skopeo inspect: \(result.output)")
        return Array(result.output.utf8)
    }

    /// Uploads blobs and then a manifest with the registry API, byte for byte (for documents skopeo would not
    /// write).
    func push(repository: String, blobs: [[UInt8]], manifest: [UInt8], mediaType: String, reference: String) throws {
        let files = try blobs.enumerated().map { i, b in
            let path = directory + "/push-\(i)"
            try Data(b).write(to: URL(fileURLWithPath: path))
            return path
        }
        let manifestPath = directory + "/push-manifest"
        try Data(manifest).write(to: URL(fileURLWithPath: manifestPath))
        let script = """
            import sys, hashlib, http.client, base64
            host, repo, ref, mediatype, manifest, auth = sys.argv[1:7]
            files = sys.argv[7:]
            headers = {"Authorization": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
            def request(method, path, body=None, extra={}):
                c = http.client.HTTPConnection(host)
                c.request(method, path, body=body, headers={**headers, **extra})
                r = c.getresponse(); r.read()
                return r
            for f in files:
                data = open(f, "rb").read()
                digest = "sha256:" + hashlib.sha256(data).hexdigest()
                r = request("POST", "/v2/%s/blobs/uploads/" % repo)
                assert r.status == 202, r.status
                loc = r.getheader("Location")
                loc = loc[loc.index("/v2/"):] if "://" in loc else loc
                r = request("PUT", loc + ("&" if "?" in loc else "?") + "digest=" + digest, data, {"Content-Type": "application/octet-stream"})
                assert r.status == 201, r.status
            r = request("PUT", "/v2/%s/manifests/%s" % (repo, ref), open(manifest, "rb").read(), {"Content-Type": mediatype})
            assert r.status == 201, r.status
            """
        let auth = users.first.map { "\($0.0):\($0.1)" } ?? ""
        let result = try run("/usr/bin/python3", ["-c", script, host, repository, reference, mediaType, manifestPath, auth] + files)
        #expect(result.status == 0, "push: \(result.output)")
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw EstibaError(.io, "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

func temporaryDirectory(_ tag: String) throws -> String {
    let path = "/tmp/estiba-\(tag)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

@discardableResult
func run(_ program: String, _ arguments: [String], environment: [String: String]? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    // Under a deadline (coreutils' timeout): a program that never ends fails its test, not the whole run.
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = ["-k", "10", String(programLimitSeconds), program] + arguments
    if let environment { p.environment = environment }
    let out = Foundation.Pipe()
    p.standardOutput = out
    p.standardError = out
    let start = Date()
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    if Date().timeIntervalSince(start) >= Double(programLimitSeconds) {
        Issue.record("\(program) \(arguments.joined(separator: " ")) did not end within \(programLimitSeconds) s and was stopped: \(text.suffix(2000))")
    }
    return (p.terminationStatus, text)
}

/// How long a program a test runs may take (`ESTIBA_TEST_PROGRAM_LIMIT` seconds, default 600).
let programLimitSeconds: Int = ProcessInfo.processInfo.environment["ESTIBA_TEST_PROGRAM_LIMIT"].flatMap { Int($0) } ?? 600

/// An OCI layout holding a small image made from Debian's busybox-static (`/bin/busybox`), tagged `tag`;
/// returns its directory.
func busyboxLayout(tag: String = "latest", extraFile: String? = nil) async throws -> String {
    let dir = try temporaryDirectory("layout")
    let rootfs = dir + "/rootfs"
    try FileManager.default.createDirectory(atPath: rootfs + "/bin", withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: rootfs + "/bin/busybox")
    symlink("busybox", rootfs + "/bin/sh")
    symlink("busybox", rootfs + "/bin/echo")
    if let extraFile { try extraFile.write(toFile: rootfs + "/marker", atomically: true, encoding: .utf8) }
    let store = try ImageStore(root: dir + "/store")
    var config = ContainerConfig()
    config.cmd = ["sh"]
    _ = try await store.importImage(.directory(rootfs), config: config, reference: ImageReference(name: "busybox", tag: tag), comment: "test")
    _ = try await store.save(["busybox:\(tag)"], to: dir + "/oci", format: .ociDirectory)
    return dir
}

/// An OCI layout holding a three-layer image: busybox, then a layer adding `/second`, then that same layer again
/// (images may repeat a layer); tagged `busybox:layers`. Returns its directory.
func layeredLayout() async throws -> String {
    let base = try await busyboxLayout(tag: "base")
    let store = try ImageStore(root: base + "/store")
    let record = try await store.image("busybox:base")
    let extra = base + "/extra"
    try FileManager.default.createDirectory(atPath: extra, withIntermediateDirectories: true)
    try "second layer\n".write(toFile: extra + "/second", atomically: true, encoding: .utf8)
    let layer = try await store.addLayer(from: extra, overlayUpper: false)
    var config = record.config
    config.diffIDs += [layer.diffID, layer.diffID]
    config.history += [HistoryEntry(created: nil, comment: "extra"), HistoryEntry(created: nil, comment: "extra again")]
    let first = record.manifest.layers[0]
    _ = try await store.add(
        config: config, layers: [(first.digest, first.size), (layer.diffID, layer.size), (layer.diffID, layer.size)],
        reference: ImageReference(name: "busybox", tag: "layers"))
    removeTree(base + "/oci")
    _ = try await store.save(["busybox:layers"], to: base + "/oci", format: .ociDirectory)
    return base
}
