import ArgumentParser
import CLIOutput
import Engine
import System

struct BuildCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build", abstract: "Build an image from a Dockerfile and a context directory.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Name and optionally a tag (name:tag); repeatable.") var tag: [String] = []
    @Option(name: [.short, .long], help: "The Dockerfile (default: CONTEXT/Dockerfile; '-' reads stdin).") var file: String?
    @Option(name: .customLong("build-arg"), help: "Set a build-time variable (KEY=VALUE, or KEY to take it from the environment).")
    var buildArg: [String] = []
    @Option(name: .long, help: "Build up to this stage.") var target: String?
    @Option(name: .long, help: "Set a label on the image (KEY=VALUE).") var label: [String] = []
    @Flag(name: .customLong("no-cache"), help: "Do not use the cache.") var noCache = false
    @Option(name: .long, help: "Network for RUN steps: default (the bridge, with outbound NAT), none or host.") var network: String?
    @Flag(name: .customLong("dry-run"), help: "Only tell which steps the cache would serve and why the others would run.")
    var dryRun = false
    @Flag(name: .shortAndLong, help: "Print only the image ID.") var quiet = false
    @Option(name: .long, help: ArgumentHelp("Pull the images FROM and COPY --from name: missing (default), always, never; --pull alone is always.", valueName: "policy"))
    var pull: String?
    @Argument(help: "The context directory.") var context: String

    func run() async throws {
        var options = BuildOptions(contextDirectory: context)
        if file == "-" {
            options.dockerfileText = String(decoding: (try? FileDescriptor.standardInput.readAll(upTo: 16 << 20)) ?? [], as: UTF8.self)
        } else {
            options.dockerfilePath = file
        }
        for a in buildArg {
            let parts = a.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2 {
                options.buildArgs[parts[0]] = parts[1]
            } else if let v = Environment.value(parts[0]) {
                options.buildArgs[parts[0]] = v
            }
        }
        for l in label {
            let parts = l.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            options.labels[parts[0]] = parts.count == 2 ? parts[1] : ""
        }
        options.target = target
        options.noCache = noCache
        options.dryRun = dryRun
        if let pull {
            guard let policy = Self.pullPolicy(pull) else {
                throw fail(EstibaError(.invalidArgument, "Unknown --pull value \(pull); use always, missing, never, true or false (--pull alone is always)."))
            }
            options.pull = policy
        }
        if let network {
            guard let mode = NetworkMode(rawValue: network == "default" ? "bridge" : network) else {
                throw fail(EstibaError(.invalidArgument, "Unknown network \(network); use default, none or host."))
            }
            options.network = mode
        }
        let quiet = self.quiet
        let dryRun = self.dryRun
        let printer: BuildEventHandler = { event in
            guard !quiet else { return }
            switch event {
            case .stepStarted(let s):
                FileDescriptorOutput.stdout("Step \(s.step)/\(s.total) : \(s.instruction)\n")
            case .stepRebuilding(_, let reason):
                FileDescriptorOutput.stdout(dryRun ? " ---> Would run: \(reason)\n" : " ---> Not cached: \(reason)\n")
            case .output(_, let bytes):
                FileDescriptorOutput.stdout(String(decoding: bytes, as: UTF8.self))
            case .stepFinished(let r):
                if r.cached == true { FileDescriptorOutput.stdout(" ---> Using cache\n") }
                if let id = r.imageID { FileDescriptorOutput.stdout(" ---> \(id.short)\n") }
            case .warning(let w):
                FileDescriptorOutput.stderr(w + "\n")
            }
        }
        // A pull's lines go under the FROM (or COPY --from) step that needs it, as with Docker's classic builder.
        let pullPrinter: @Sendable (Int, ImagePullEvent) -> Void = { _, event in
            guard !quiet else { return }
            for line in ImagePullOutput.lines(event) { FileDescriptorOutput.stdout(line + "\n") }
        }
        let result: BuildResult
        do { result = try await global.engine().build(options, tags: tag, onEvent: printer, onPull: pullPrinter) } catch { throw fail(error) }
        if dryRun {
            let reused = result.steps.filter { $0.cached == true }.count
            let rebuilt = result.steps.filter { $0.cached == false }.count
            FileDescriptorOutput.stdout("Dry run: \(reused) step(s) would use the cache, \(rebuilt) would run.\n")
            return
        }
        guard let image = result.image else { return }
        if quiet {
            FileDescriptorOutput.stdout(image.id.description + "\n")
            return
        }
        FileDescriptorOutput.stdout("Successfully built \(image.id.short)\n")
        for t in image.references { FileDescriptorOutput.stdout("Successfully tagged \(t)\n") }
    }
}

extension BuildCommand {
    /// Docker's `--pull` is a flag (always), podman's a value: always, missing, never, true (always), false (missing).
    static func pullPolicy(_ text: String) -> PullPolicy? {
        switch text.lowercased() {
        case "always", "true": .always
        case "missing", "false": .missing
        case "never": .never
        default: nil
        }
    }

    /// The command line with `build`'s bare `--pull` (Docker's flag) written as `--pull=always`, so that one option
    /// takes both forms; other commands' arguments are left as they are.
    static func normalizingPullFlag(_ arguments: [String]) -> [String] {
        var i = 0
        // Past the options before the command (`--root DIR`).
        while i < arguments.count, arguments[i].hasPrefix("-") { i += arguments[i] == "--root" ? 2 : 1 }
        guard i < arguments.count, arguments[i] == "build" else { return arguments }
        var out = arguments
        var j = i + 1
        while j < out.count, out[j] != "--" {
            if out[j] == "--pull" { out[j] = "--pull=always" }
            j += 1
        }
        return out
    }
}
