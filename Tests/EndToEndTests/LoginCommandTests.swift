import EstibaJSON
import Foundation
import Glibc
import Testing

/// `estiba login` and `logout` against a registry with htpasswd users: credentials checked before they are kept,
/// kept where Docker keeps them (or by a credential helper), used by push, and removed.
@Suite(.serialized) struct LoginCommandTests {
    typealias Registry = PullCommandTests.Registry

    /// Runs estiba with `input` on its stdin.
    func estiba(_ args: [String], input: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        let quoted = ([Paths.estiba] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        return try runProgram("/bin/sh", ["-c", "printf '%s' '\(input)' | " + quoted], environment: environment)
    }

    @Test func loginChecksStoresAndLogoutRemoves() throws {
        let registry = try Registry(users: ["bob": "hunter2"])
        defer { registry.stop() }
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let dir = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/docker/config.json"
        let env = ["DOCKER_CONFIG": dir + "/docker"]
        let name = "\(registry.host)/team/app:1"
        #expect(try cli.run(["tag", "busybox", name]).status == 0)
        let denied = try cli.run(["push", name], environment: env)
        #expect(denied.status == 1 && denied.output.contains("Error: Pushing to team/app on \(registry.host) was denied; run estiba login \(registry.host)"), "\(denied.output)")

        // A wrong password: one sentence, a failure, nothing kept.
        let wrong = try cli.run(["login", "-u", "bob", "-p", "nope", registry.host], environment: env)
        #expect(wrong.status == 1, "\(wrong.output)")
        #expect(wrong.output.contains("Error: Login to \(registry.host) failed: the registry refused the user name or password"), "\(wrong.output)")
        #expect(!wrong.output.contains("nope"))
        #expect(!FileManager.default.fileExists(atPath: config))
        let noTTY = try cli.run(["login", registry.host], environment: env)
        #expect(noTTY.status == 1 && noTTY.output.contains("Cannot perform an interactive login from a non TTY device"), "\(noTTY.output)")

        // The right one, from stdin: kept in the Docker config, readable by its owner only.
        let right = try estiba(["--root", cli.root, "login", "-u", "bob", "--password-stdin", registry.host], input: "hunter2\n", environment: env)
        #expect(right.status == 0 && right.output.hasSuffix("Login Succeeded\n"), "\(right.output)")
        #expect(!right.output.contains("hunter2"))
        #expect((try FileManager.default.attributesOfItem(atPath: config)[.posixPermissions] as? Int) == 0o600)
        let doc = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: config))))
        #expect(doc["auths"]?[registry.host]?["auth"]?.stringValue == Data("bob:hunter2".utf8).base64EncodedString(), "\(doc)")
        let pushed = try cli.run(["push", name], environment: env)
        #expect(pushed.status == 0 && pushed.output.contains("1: digest: sha256:"), "\(pushed.output)")
        // Without -u, the kept credentials are checked again.
        let existing = try cli.run(["login", registry.host], environment: env)
        #expect(existing.status == 0 && existing.output.contains("Login Succeeded"), "\(existing.output)")

        let out = try cli.run(["logout", registry.host], environment: env)
        #expect(out.status == 0 && out.output == "Removing login credentials for \(registry.host)\n", "\(out.output)")
        let after = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: config))))
        #expect(after["auths"]?[registry.host] == nil, "\(after)")
        let again = try cli.run(["logout", registry.host], environment: env)
        #expect(again.status == 0 && again.output == "Not logged in to \(registry.host)\n", "\(again.output)")
        #expect(try cli.run(["push", name], environment: env).status == 1)
    }

    /// On a terminal, without -u and -p, the user name is asked for and the password read without echo.
    @Test func aTerminalLoginPromptsAndHidesThePassword() throws {
        let registry = try Registry(users: ["bob": "hunter2"])
        defer { registry.stop() }
        let dir = try Paths.temporaryDirectory().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let screen = try Pty.session(
            ["/usr/bin/env", "DOCKER_CONFIG=\(dir)/docker", Paths.estiba, "--root", dir + "/store", "login", registry.host],
            steps: [Pty.Step(text: "bob\r"), Pty.Step(text: "hunter2\r", read: 3)])
        #expect(screen.contains("Username: bob"), "\(screen)")
        #expect(screen.contains("Password: "), "\(screen)")
        #expect(!screen.contains("hunter2"), "\(screen)")
        #expect(screen.contains("Login Succeeded") && screen.hasSuffix("EXIT=0\n"), "\(screen)")
        let doc = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/docker/config.json"))))
        #expect(doc["auths"]?[registry.host]?["auth"]?.stringValue == Data("bob:hunter2".utf8).base64EncodedString())
    }

    @Test func aCredentialHelperKeepsTheLogin() throws {
        let registry = try Registry(users: ["bob": "hunter2"])
        defer { registry.stop() }
        guard let cli = try RuntimeTests().busyboxStore() else { return }
        let dir = URL(fileURLWithPath: cli.root).deletingLastPathComponent().path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/docker", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        // docker-credential-testhelper: keeps one login in state/secret, logs each call in state/calls.
        let script = """
            #!/usr/bin/python3
            import json, os, sys
            state = "\(dir)/state"
            action, data = sys.argv[1], sys.stdin.read()
            server = json.loads(data)["ServerURL"] if action == "store" else data.strip()
            open(os.path.join(state, "calls"), "a").write(action + " " + server + "\\n")
            secret = os.path.join(state, "secret")
            if action == "store":
                open(secret, "w").write(data)
            elif not os.path.exists(secret) or json.load(open(secret))["ServerURL"] != server:
                print("credentials not found in native keychain"); sys.exit(1)
            elif action == "get":
                print(open(secret).read())
            elif action == "erase":
                os.remove(secret)
            """
        try script.write(toFile: dir + "/bin/docker-credential-testhelper", atomically: true, encoding: .utf8)
        chmod(dir + "/bin/docker-credential-testhelper", 0o755)
        let config = #"{"credHelpers":{"\#(registry.host)":"testhelper"}}"#
        try config.write(toFile: dir + "/docker/config.json", atomically: true, encoding: .utf8)
        let env = ["DOCKER_CONFIG": dir + "/docker", "PATH": dir + "/bin:/usr/bin:/bin"]
        let name = "\(registry.host)/helped/app:1"
        #expect(try cli.run(["tag", "busybox", name]).status == 0)

        let login = try cli.run(["login", "-u", "bob", "-p", "hunter2", registry.host], environment: env)
        #expect(login.status == 0 && login.output.contains("Login Succeeded") && !login.output.contains("stored unencrypted"), "\(login.output)")
        #expect(try String(contentsOfFile: dir + "/docker/config.json", encoding: .utf8) == config)
        let pushed = try cli.run(["push", "-q", name], environment: env)
        #expect(pushed.status == 0, "\(pushed.output)")
        let out = try cli.run(["logout", registry.host], environment: env)
        #expect(out.status == 0 && out.output == "Removing login credentials for \(registry.host)\n", "\(out.output)")
        let calls = try String(contentsOfFile: dir + "/state/calls", encoding: .utf8).split(separator: "\n")
        #expect(calls == ["store \(registry.host)", "get \(registry.host)", "erase \(registry.host)"], "\(calls)")
    }
}
