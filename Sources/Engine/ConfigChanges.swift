import Dockerfile
import ImageStore

/// Applies Dockerfile instructions to an image's run-time config, like `docker import --change` and
/// `docker commit --change`: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR.
enum ConfigChanges {
    static let allowed: Set<String> = ["cmd", "entrypoint", "env", "expose", "label", "onbuild", "stopsignal", "user", "volume", "workdir"]

    static func apply(_ lines: [String], to config: inout ContainerConfig) throws(EngineError) {
        for line in lines {
            let parsed = DockerfileParser.parse(line)
            if let e = parsed.errors.first {
                throw EngineError(.invalidArgument, "Change \"\(line)\": \(e.message).", context: ["change": line])
            }
            guard let node = parsed.instructions.first, parsed.instructions.count == 1 else {
                throw EngineError(.invalidArgument, "Change \"\(line)\" must be one Dockerfile instruction.", context: ["change": line])
            }
            let keyword = node.value.lowercased()
            guard allowed.contains(keyword) else {
                throw EngineError(
                    .invalidArgument,
                    "\(node.value.uppercased()) is not supported as a change; use one of \(allowed.map { $0.uppercased() }.sorted().joined(separator: ", ")).",
                    context: ["change": line])
            }
            let args = node.next.map(\.value)
            let env = Dictionary(config.env.compactMap { kv -> (String, String)? in
                guard let eq = kv.firstIndex(of: "=") else { return nil }
                return (String(kv[..<eq]), String(kv[kv.index(after: eq)...]))
            }, uniquingKeysWith: { _, b in b })
            let lexer = ShellLexer(escapeToken: parsed.escapeToken)
            func word(_ w: String) throws(EngineError) -> String {
                do { return try lexer.processWord(w, env: env) } catch {
                    throw EngineError(.invalidArgument, "Change \"\(line)\": \(error.message).", context: ["change": line])
                }
            }
            switch keyword {
            case "cmd", "entrypoint":
                let value = node.isJSON ? args : ["/bin/sh", "-c"] + args
                if keyword == "cmd" { config.cmd = value } else { config.entrypoint = value }
            case "env", "label":
                var i = 0
                while i + 1 < args.count {
                    let key = try word(args[i])
                    let value = try word(args[i + 1])
                    if keyword == "env" {
                        config.env.removeAll { $0.hasPrefix(key + "=") }
                        config.env.append("\(key)=\(value)")
                    } else {
                        config.labels[key] = value
                    }
                    i += 3
                }
            case "expose":
                for a in args {
                    let p = try word(a)
                    config.exposedPorts.append(p.contains("/") ? p : p + "/tcp")
                }
                config.exposedPorts = Array(Set(config.exposedPorts)).sorted()
            case "volume":
                for a in args { config.volumes.append(try word(a)) }
                config.volumes = Array(Set(config.volumes)).sorted()
            case "user":
                let user = try word(args.first ?? "")
                try Limits.checkUser(user)
                config.user = user
            case "workdir": config.workingDir = try word(args.first ?? "")
            case "stopsignal": config.stopSignal = try word(args.first ?? "")
            case "onbuild":
                let trigger = String(triggerText(node.original))
                config.onBuild = (config.onBuild ?? []) + [trigger]
            default: break
            }
        }
    }

    /// The trigger text after `ONBUILD `.
    static func triggerText(_ original: String) -> Substring {
        let afterKeyword = original.drop { $0 != " " && $0 != "\t" }
        return afterKeyword.drop { $0 == " " || $0 == "\t" }
    }
}
