import Dockerfile
import ImageStore
import Runtime
import System

/// Builds Dockerfiles into images in the store: every step is an image (kept out of the image list), cached by
/// a key of its parent, its expanded instruction, its sources' content and the build args it sees.
public final class Builder: Sendable {
    let store: ImageStore
    let root: String
    let hasher = SourceHasher()

    public init(store: ImageStore, root: String) {
        self.store = store
        self.root = root
    }

    /// What the build cache of the store at `root` keeps from garbage collection: the images of its steps, and the
    /// images `images` (and their built ancestors) were built from, so `history` keeps its IDs.
    public static func collectionRoots(root: String, images: Set<Digest>) -> CollectionRoots {
        guard let cache = try? BuildCache(root: root, create: false) else { return CollectionRoots() }
        var roots = CollectionRoots(manifests: cache.manifests())
        for image in images { roots.images.formUnion(ancestry(of: image, in: cache)) }
        return roots
    }

    /// The images a built image was made from, itself first, newest to oldest (its build steps' images, then
    /// the base image); empty for images the builder did not make.
    public func ancestry(of image: Digest) -> [Digest] {
        guard let cache = try? BuildCache(root: root, create: false) else { return [] }
        return Self.ancestry(of: image, in: cache)
    }

    static func ancestry(of image: Digest, in cache: BuildCache) -> [Digest] {
        var out = [image]
        var current = image
        while let p = cache.parent(of: current), let d = Digest(p), !out.contains(d) {
            out.append(d)
            current = d
        }
        return out.count > 1 ? out : []
    }

    /// Builds (or, with `dryRun`, predicts) the image. The result's image is not yet listed or tagged; the caller
    /// tags it.
    public func build(_ options: BuildOptions, onEvent: BuildEventHandler? = nil) async throws(EstibaError) -> BuildResult {
        // Under one lease: every layer and image the build writes, and the base and stage images it uses, stay
        // whole until it ends; what a failed build wrote goes again.
        try await store.withLease { () throws(EstibaError) -> BuildResult in
            let run = try BuildRun(builder: self, options: options, onEvent: onEvent)
            return try await run.execute()
        }
    }
}

/// One build, start to end.
final class BuildRun {
    let builder: Builder
    let options: BuildOptions
    let onEvent: BuildEventHandler?
    let parsed: ParsedDockerfile
    let lexer: ShellLexer
    let cache: BuildCache
    let dockerfileName: String
    var context: SourceTree?
    var reports: [BuildStepReport] = []
    var warnings: [String] = []
    var step = 0
    var total = 0
    /// Final state of each stage built so far.
    var stages: [Int: StageState] = [:]
    var stageNames: [String: Int] = [:]
    var metaArgs: [(name: String, value: String?)] = []
    /// The ARG instructions before the first FROM (each one a step, as Docker counts them).
    var metaArgNodes: [Node] = []
    var consumedArgs: Set<String> = []
    /// Images fetched through `options.imageSource` in this build, by reference and platform: the spec each
    /// names in the store (so a reference named again, as with `--pull=always`, is fetched once).
    var fetched: [String: String] = [:]
    let tmp: String
    let empty: String

    init(builder: Builder, options: BuildOptions, onEvent: BuildEventHandler?) throws(EstibaError) {
        self.builder = builder
        self.options = options
        self.onEvent = onEvent
        guard (try? Files.status(options.contextDirectory))?.kind == .directory else {
            throw EstibaError.build(.notFound, "The build context \(options.contextDirectory) is not a directory; give the directory that holds the files your Dockerfile copies.")
        }
        let text: String
        if let t = options.dockerfileText {
            text = t
            dockerfileName = "Dockerfile"
        } else {
            let path = options.dockerfilePath ?? options.contextDirectory + "/Dockerfile"
            dockerfileName = path
            let bytes: [UInt8]
            do { bytes = try Files.read(path, upTo: 16 << 20) } catch {
                throw EstibaError.build(.notFound, "Cannot read the Dockerfile \(path): \(error.reason). Give its path with -f, or put a Dockerfile in the context.")
            }
            text = String(decoding: bytes, as: UTF8.self)
        }
        do { parsed = try DockerfileParser.parseStrict(text, file: dockerfileName) } catch {
            throw EstibaError.build(.syntax, "\(dockerfileName) line \(error.line ?? 0): \(error.message)", line: error.line ?? 0)
        }
        lexer = ShellLexer(escapeToken: parsed.escapeToken)
        cache = try BuildCache(root: builder.root)
        tmp = builder.root + "/tmp"
        empty = StoreLayout(root: builder.root).buildCache + "/empty"
        try? Files.makeDirectory(tmp, permissions: 0o700)
        try? Files.makeDirectory(empty, permissions: 0o755)
    }

    func emit(_ e: BuildEvent) { onEvent?(e) }

    func warn(_ text: String) {
        warnings.append(text)
        emit(.warning(text))
    }

    // MARK: plan

    struct StagePlan {
        var index: Int
        var name: String?
        /// The FROM instruction and its arguments.
        var from: TypedInstruction
        var base: FromArguments
        var instructions: [TypedInstruction]
    }

    func plan() throws(EstibaError) -> (stages: [StagePlan], wanted: [Int]) {
        // The whole Dockerfile is read and checked before any step runs, as Docker does.
        let instructions: [TypedInstruction]
        do { instructions = try parsed.typedInstructions() } catch { throw self.error(instruction: error) }
        // `# check=error=true`: the build checks' findings stop the build, as BuildKit's do (not a dry run's: the
        // editor shows them beside its hints).
        if !options.dryRun {
            let failing = DockerfileAnalysis(parsed).failingChecks
            if let first = failing.first {
                let rules = Set(failing.map(\.code)).sorted().joined(separator: ", ")
                let message = "lint violation found for rules: \(rules) (# check=error=true makes the build checks' findings errors; fix them, or skip a rule with # check=skip=RULE)"
                guard let node = parsed.instructions.first(where: { $0.startLine <= first.startLine && first.startLine <= $0.endLine }) else {
                    throw EstibaError.build(.syntax, "\(dockerfileName) line \(first.startLine): \(message)", line: first.startLine)
                }
                throw error(node, .syntax, message)
            }
        }
        var plans: [StagePlan] = []
        for typed in instructions {
            switch typed.instruction {
            case .from(let base):
                plans.append(StagePlan(index: plans.count, name: base.stageName, from: typed, base: base, instructions: []))
            case .arg(let declarations) where plans.isEmpty:
                metaArgNodes.append(typed.node)
                for d in declarations {
                    let env = metaEnvironment
                    let value = try d.value.map { v throws(EstibaError) in try expand(v, env: env, node: typed.node) }
                    metaArgs.append((d.name, options.buildArgs[d.name] ?? value))
                    if options.buildArgs[d.name] != nil { consumedArgs.insert(d.name) }
                }
            default:
                guard !plans.isEmpty else {
                    throw error(typed.node, .syntax, "No FROM before \(typed.keyword.name): a Dockerfile must start with FROM (only ARG may come before it).")
                }
                plans[plans.count - 1].instructions.append(typed)
            }
        }
        guard !plans.isEmpty else { throw EstibaError.build(.syntax, "\(dockerfileName) has no FROM instruction; start it with FROM image (or FROM scratch).") }
        for p in plans { if let n = p.name { stageNames[n] = p.index } }
        var target = plans.count - 1
        if let t = options.target {
            if let i = stageNames[t.lowercased()] {
                target = i
            } else if let i = Int(t), i >= 0, i < plans.count {
                target = i
            } else {
                throw EstibaError.build(.invalidArgument, "The target stage \"\(t)\" is not in \(dockerfileName); name one of: \(plans.compactMap(\.name).joined(separator: ", ")).")
            }
        }
        // Only the stages the target needs (FROM <stage>, COPY --from=<stage>).
        // A worklist rather than recursion: a long chain of stages cannot exhaust the stack.
        var needed: Set<Int> = []
        var pending = [target]
        while let i = pending.popLast() {
            guard needed.insert(i).inserted else { continue }
            let p = plans[i]
            if let j = stageIndex(p.base.image.lowercased(), before: i) { pending.append(j) }
            for typed in p.instructions {
                if case .copy(let c) = typed.instruction, let from = c.from, let j = stageIndex(from.lowercased(), before: i) { pending.append(j) }
            }
        }
        return (plans, needed.sorted())
    }

    func stageIndex(_ ref: String, before limit: Int) -> Int? {
        if let i = stageNames[ref], i < limit { return i }
        if let i = Int(ref), i >= 0, i < limit { return i }
        return nil
    }

    var metaEnvironment: [String: String] {
        var env: [String: String] = [:]
        for a in metaArgs { if let v = a.value { env[a.name] = v } }
        return env
    }

    // MARK: run

    func execute() async throws(EstibaError) -> BuildResult {
        let (plans, wanted) = try plan()
        total = metaArgNodes.count + wanted.reduce(0) { $0 + 1 + plans[$1].instructions.count } + (options.labels.isEmpty ? 0 : 1)
        context = try SourceTree(root: options.contextDirectory, ignore: try readDockerignore(), name: "the build context")
        for node in metaArgNodes {
            step += 1
            emit(.stepStarted(BuildStepStart(step: step, total: total, stage: 0, instruction: node.original, line: node.startLine)))
        }
        var last: StageState?
        for i in wanted {
            var state = try await startStage(plans[i])
            for typed in plans[i].instructions {
                try await dispatch(typed, state: &state)
            }
            if i == wanted.last, !options.labels.isEmpty {
                step += 1
                let change = ConfigChange.label(options.labels.sorted { $0.key < $1.key }.map { KeyValue($0.key, $0.value) })
                let node = Node(value: "label", original: change.text, startLine: 0, endLine: 0)
                emit(.stepStarted(BuildStepStart(step: step, total: total, stage: i, instruction: change.text, line: 0)))
                try await configStep(node, change, &state)
            }
            try await materialize(&state, node: plans[i].from.node)
            stages[i] = state
            last = state
        }
        let unused = Set(options.buildArgs.keys).subtracting(consumedArgs).subtracting(Self.predefinedArgs).sorted()
        if !unused.isEmpty { warn("[Warning] One or more build-args [\(unused.joined(separator: " "))] were not consumed") }
        let image = last?.image
        return BuildResult(imageID: image?.id, image: image, steps: reports, warnings: warnings, dryRun: options.dryRun)
    }

    static let predefinedArgs: Set<String> = [
        "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy", "NO_PROXY", "no_proxy",
        "ALL_PROXY", "all_proxy",
    ]

    func readDockerignore() throws(EstibaError) -> Dockerignore? {
        do {
            return try Dockerignore.forBuild(
                contextDirectory: options.contextDirectory, dockerfilePath: options.dockerfilePath, textOnly: options.dockerfileText != nil)
        } catch {
            throw EstibaError.build(.syntax, "\(error.context["file"] ?? ".dockerignore"): \(error)")
        }
    }

    func error(_ node: Node, _ kind: EstibaError.Code, _ message: String) -> EstibaError {
        EstibaError.build(kind, "\(dockerfileName) line \(node.startLine): \(node.original.trimmedBlanks): \(message)", line: node.startLine, instruction: node.original)
    }

    /// An instruction that cannot be built as written.
    func error(instruction e: EstibaError) -> EstibaError {
        let node = Node(original: e.instruction ?? "", startLine: e.line ?? 0, endLine: e.endLine ?? 0)
        return error(node, .syntax, e.message)
    }

    func expand(_ word: String, env: [String: String], node: Node) throws(EstibaError) -> String {
        do { return try lexer.processWord(word, env: env) } catch {
            throw self.error(node, .syntax, error.message)
        }
    }

    func expandWords(_ word: String, env: [String: String], node: Node) throws(EstibaError) -> [String] {
        do { return try lexer.processWords(word, env: env) } catch {
            throw self.error(node, .syntax, error.message)
        }
    }

    // MARK: FROM

    func startStage(_ plan: StagePlan) async throws(EstibaError) -> StageState {
        step += 1
        let started = Clocks.monotonicSeconds
        let node = plan.from.node
        emit(.stepStarted(BuildStepStart(step: step, total: total, stage: plan.index, instruction: node.original, line: node.startLine)))
        let base = try expand(plan.base.image, env: metaEnvironment, node: node)
        var state: StageState
        if base.lowercased() == "scratch" {
            var config = ImageConfig(architecture: HostPlatform.architecture)
            config.config.env = []
            state = StageState(index: plan.index, name: plan.name, config: config, image: nil, parentKey: "scratch")
        } else if let i = stageIndex(base.lowercased(), before: plan.index), let prior = stages[i] {
            state = StageState(index: plan.index, name: plan.name, config: prior.config, image: prior.image, parentKey: prior.parentKey)
            state.rebuilt = prior.rebuilt
        } else {
            let platform = try plan.base.platform.map { p throws(EstibaError) in try expand(p, env: metaEnvironment, node: node) }
            let image = try await externalImage(base, platform: platform?.isEmpty == false ? platform : nil, node: node, what: "The base image \(base)")
            state = StageState(index: plan.index, name: plan.name, config: image.config, image: image, parentKey: image.id.description)
        }
        // MAINTAINER is per build: a base image's author is not inherited.
        state.config.author = nil
        if !state.config.config.env.contains(where: { $0.hasPrefix("PATH=") }) {
            state.config.config.env.insert("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", at: 0)
        }
        report(node: node, stage: plan.index, cached: nil, reason: nil, image: state.image?.id, layerSize: 0, started: started, createdBy: nil)
        // ONBUILD triggers of the base run now, then are cleared.
        if let triggers = state.config.config.onBuild, !triggers.isEmpty {
            state.config.config.onBuild = nil
            for trigger in triggers {
                let sub = DockerfileParser.parse(trigger)
                guard let n = sub.instructions.first, sub.errors.isEmpty else {
                    throw error(node, .syntax, "The base image's ONBUILD trigger \"\(trigger)\" does not parse.")
                }
                var triggerNode = n
                triggerNode.startLine = node.startLine
                triggerNode.endLine = node.endLine
                let typed: TypedInstruction
                do { typed = try TypedInstruction(triggerNode, escapeToken: parsed.escapeToken) } catch { throw self.error(instruction: error) }
                try await dispatch(typed, state: &state, countsAsStep: false)
            }
        }
        return state
    }

    func report(
        node: Node, stage: Int, cached: Bool?, reason: String?, image: Digest?, layerSize: Int64, started: Double, createdBy: String?
    ) {
        let r = BuildStepReport(
            step: step, total: total, stage: stage, instruction: node.original, line: node.startLine, cached: cached, reason: reason,
            imageID: image, layerSize: layerSize, durationSeconds: Clocks.monotonicSeconds - started, createdBy: createdBy)
        reports.append(r)
        emit(.stepFinished(r))
    }
}
