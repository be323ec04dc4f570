import ArgumentParser
import CLIOutput
import Engine
import System
import JSONRPC

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run a command in a new container.",
        discussion: "Containers are on the default bridge network (estiba0, 10.211.0.0/16, outbound NAT) unless --network says none (loopback only), host (the machine's), or a user network's name (see estiba network).")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .long, help: "Remove the container when it exits.") var rm = false
    @Option(name: .long, help: "Name the container.") var name: String?
    @Option(name: [.short, .long], help: "Set an environment variable (KEY=VALUE).") var env: [String] = []
    @Option(name: [.customShort("w"), .long], help: "Working directory inside the container.") var workdir: String?
    @Option(name: [.short, .long], help: "user[:group] or uid[:gid].") var user: String?
    @Option(name: [.customShort("h"), .long], help: "Container host name.") var hostname: String?
    @Option(name: .long, help: "bridge (default), none, host, or a user network's name.") var network: String = "bridge"
    @Option(name: [.customShort("p"), .customLong("publish")], help: "Publish a port: [IP:]HOSTPORT:CONTAINERPORT[/tcp|udp], ranges, or CONTAINERPORT (a free host port).") var publish: [String] = []
    @Flag(name: [.customShort("P"), .customLong("publish-all")], help: "Publish every EXPOSEd port on a free host port.") var publishAll = false
    @Option(name: .customLong("network-alias"), help: "Another name the container is found by on its user network.") var networkAlias: [String] = []
    @Option(name: .customLong("add-host"), help: "Add NAME:IP to /etc/hosts (IP host-gateway: the bridge's gateway).") var addHost: [String] = []
    @Option(name: .long, help: "A name server for the container.") var dns: [String] = []
    @Option(name: .customLong("dns-search"), help: "A DNS search domain for the container.") var dnsSearch: [String] = []
    @Option(name: .customLong("dns-option"), help: "A resolv.conf option for the container.") var dnsOption: [String] = []
    @Option(name: .long, help: "Replace the image's ENTRYPOINT.") var entrypoint: String?
    @Flag(name: .customLong("read-only"), help: "Mount the container's root read-only.") var readOnly = false
    @Flag(name: [.short, .long], help: "Keep standard input open.") var interactive = false
    @Flag(name: [.short, .long], help: "Run in the background and print the container ID.") var detach = false
    @Option(name: .long, help: "estiba (default) or runc, on the same OCI bundle.") var runtime: String = "estiba"
    @Flag(name: [.short, .long], help: "Give the container a terminal.") var tty = false
    @Option(name: [.short, .long], help: "Mount a volume: /host/path:/target[:ro] or NAME:/target[:ro].") var volume: [String] = []
    @Option(name: [.short, .long], help: "Memory limit (bytes, or with k, m, g).") var memory: String?
    @Option(name: .customLong("pids-limit"), help: "Most processes the container may have.") var pidsLimit: Int64?
    @Option(name: .long, help: "CPUs' worth of time (0.5 = half a CPU).") var cpus: Double?
    @Option(name: [.short, .long], help: "Set a label on the container (KEY=VALUE).") var label: [String] = []
    @Option(name: .long, help: "Add a host device: /dev/HOST[:/dev/CONTAINER][:rwm].") var device: [String] = []
    @Option(name: .customLong("security-opt"), help: "seccomp=unconfined, seccomp=PROFILE.json or no-new-privileges.") var securityOpt: [String] = []
    @Option(name: .long, help: "Pull the image: missing (default: when the store lacks it), always, or never.") var pull: String = "missing"
    @Flag(name: [.short, .long], help: "Print nothing of the image's pull.") var quiet = false
    @Argument(help: "The image.") var image: String
    @Argument(parsing: .captureForPassthrough, help: "The command and its arguments.") var command: [String] = []

    func run() async throws {
        let o = try makeOptions()
        try await launch(o)
    }

    /// The engine's options from the command line (shared with `create`).
    func makeOptions() throws -> RunOptions {
        var o = RunOptions(image: image)
        o.network = network == "default" ? "bridge" : network
        o.publish = publish
        o.publishAll = publishAll
        o.networkAliases = networkAlias
        o.extraHosts = addHost
        o.dns = dns
        o.dnsSearch = dnsSearch
        o.dnsOptions = dnsOption
        o.volumes = volume
        o.devices = device
        o.securityOptions = securityOpt
        for l in label {
            let parts = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            o.labels[parts[0]] = parts.count == 2 ? parts[1] : ""
        }
        if let memory {
            guard let bytes = ByteSize.parse(memory) else { throw runFailure(EstibaError(.invalidArgument, "Invalid --memory \(memory): give bytes, or a number with k, m or g (like 64m).")) }
            o.limits.memoryBytes = bytes
        }
        if let pidsLimit {
            guard pidsLimit > 0 else { throw runFailure(EstibaError(.invalidArgument, "--pids-limit must be positive.")) }
            o.limits.pids = pidsLimit
        }
        if let cpus {
            guard cpus.isFinite, cpus > 0 else { throw runFailure(EstibaError(.invalidArgument, "--cpus must be a positive number.")) }
            o.limits.cpus = cpus
        }
        do { try Limits.check(o.limits) } catch { throw runFailure(error) }
        if let user { do { try Limits.checkUser(user) } catch { throw runFailure(error) } }
        o.command = command
        o.entrypoint = entrypoint.map { [$0] }
        o.environment = env.map { $0.contains("=") ? $0 : $0 + "=" + (Environment.value($0) ?? "") }
        o.workingDirectory = workdir
        o.user = user
        o.name = name
        o.hostname = hostname
        o.remove = rm
        o.readOnly = readOnly
        o.tty = tty
        guard let rt = ContainerRuntime(rawValue: runtime) else { throw ValidationError("--runtime must be estiba or runc.") }
        o.runtime = rt
        o.detach = detach
        guard let policy = PullPolicy(rawValue: pull) else { throw ValidationError("--pull must be missing, always or never.") }
        o.pull = policy
        // Docker prints the pull's lines on stderr, before the container's output.
        if !quiet {
            o.onPull = { event in
                for line in ImagePullOutput.lines(event) { FileDescriptorOutput.stderr(line + "\n") }
            }
        }
        return o
    }

    func launch(_ o: RunOptions) async throws {
        let engine = global.engine()
        if o.tty, !detach {
            var o = o
            o.terminalSize = TerminalSession.windowSize()
            let process: AttachedProcess
            do { process = try await engine.runAttached(o, interactive: interactive) } catch { throw runFailure(error) }
            return try await TerminalSession.finish(process, interactive: interactive)
        }
        // The container writes to this process's own stdout and stderr.
        let input: FileDescriptor
        do { input = try TerminalSession.containerInput(interactive: interactive) } catch { throw runFailure(error) }
        let result: RunResult
        do {
            result = try await engine.run(o, stdin: input.rawValue, stdout: 1, stderr: 2)
        } catch { throw runFailure(error) }
        input.close()
        if detach {
            FileDescriptorOutput.stdout(result.containerID + "\n")
            return
        }
        if result.exitCode != 0 { throw ExitCode(result.exitCode) }
    }
}
