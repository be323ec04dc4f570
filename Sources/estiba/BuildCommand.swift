import ArgumentParser
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
    @Option(name: .long, help: "Network for RUN steps: none (default) or host.") var network: String?
    @Flag(name: .customLong("dry-run"), help: "Only tell which steps the cache would serve and why the others would run.")
    var dryRun = false
    @Flag(name: .shortAndLong, help: "Print only the image ID.") var quiet = false
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
        if let network {
            guard let mode = NetworkMode(rawValue: network == "default" ? "none" : network) else {
                throw fail(EstibaError(.invalidArgument, "Unknown network \(network); use none or host."))
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
        let result: BuildResult
        do { result = try await global.engine().build(options, tags: tag, onEvent: printer) } catch { throw fail(error) }
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
