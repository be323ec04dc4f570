import Dockerfile
import ImageStore
import Runtime
import Synchronization
import System

extension BuildRun {
    /// Runs one step through the cache: reuse the image its key names, or do the work and record a new image.
    func commit(
        _ node: Node, _ state: inout StageState, instruction: String, createdBy: String, sources: StepSources = StepSources(),
        args: [(String, String)] = [], extra: String = "", change: (inout ImageConfig) throws(EstibaError) -> Void, work: StepWork
    ) async throws(EstibaError) {
        let started = Clocks.monotonicSeconds
        var next = state.config
        // A config-only step edits the config in place instead of copying it: every path below replaces the
        // stage's config, and nothing reads it before.
        if case .metadata = work { state.config = ImageConfig(architecture: "") }
        try change(&next)
        let firstInStage = state.firstStep
        guard let parent = state.parentKey else {
            // Dry run after a step that would run: nothing below can be looked up.
            emit(.stepRebuilding(step: step, reason: "previous step rebuilt"))
            state.config = next
            report(node: node, stage: state.index, cached: false, reason: "previous step rebuilt", image: nil, layerSize: 0, started: started, createdBy: createdBy)
            return
        }
        let key = BuildCache.key(parent: parent, instruction: instruction, sources: sources.digest, args: args, extra: extra)
        if !options.noCache, let hit = cache.lookup(key), await builder.store.use(manifest: hit.manifest) != nil {
            // Served by the cache: the next steps need only the image's ID and its run-time config, which the
            // instruction gives (the same change on the same parent); the image itself is read when needed. It is
            // held from now on: a prune of the cache that removes this step meanwhile leaves it whole.
            state.image = nil
            state.pendingManifest = hit.manifest
            state.config = next
            state.parentKey = hit.image.description
            report(node: node, stage: state.index, cached: true, reason: nil, image: hit.image, layerSize: hit.layerSize, started: started, createdBy: createdBy)
            return
        }
        let reason = options.noCache
            ? "--no-cache"
            : cache.explain(parent: parent, parentRebuilt: state.rebuilt, firstInStage: firstInStage, instruction: instruction, sources: sources.files, args: args)
        emit(.stepRebuilding(step: step, reason: reason))
        if options.dryRun {
            state.config = next
            state.image = nil
            state.pendingManifest = nil
            state.parentKey = nil
            state.rebuilt = true
            report(node: node, stage: state.index, cached: false, reason: reason, image: nil, layerSize: 0, started: started, createdBy: createdBy)
            return
        }
        // This step builds on the real parent image.
        if state.pendingManifest != nil {
            try await materialize(&state, node: node)
            next = state.config
            try change(&next)
        }
        let layer = try await perform(work, node: node, state: state)
        let now = Timestamp.now()
        next.created = now
        next.history.append(HistoryEntry(created: now, createdBy: createdBy, emptyLayer: layer == nil))
        var layers = state.image?.manifest.layers.map { (digest: $0.digest, size: $0.size) } ?? []
        if let layer {
            next.diffIDs.append(layer.diffID)
            layers.append((layer.diffID, layer.size))
        }
        let image: ImageRecord
        do { image = try await builder.store.addIntermediate(config: next, layers: layers) } catch {
            throw self.error(node, .io, "Cannot store the step's image: \(error.message)")
        }
        try cache.save(CacheRecord(
            key: key, parent: parent, instruction: instruction, sources: sources.files, args: args, manifest: image.manifestDigest,
            image: image.id, created: Int(now.seconds), layerSize: layer?.contentSize ?? 0))
        state.image = image
        state.config = image.config
        state.parentKey = image.id.description
        state.rebuilt = true
        report(node: node, stage: state.index, cached: false, reason: reason, image: image.id, layerSize: layer?.contentSize ?? 0, started: started, createdBy: createdBy)
    }

    /// Empties a volume's directory in a step's upper layer (keeping the directory as the mount point).
    /// Nothing happens when a component of the volume's path is a symbolic link or not a directory.
    static func discardChanges(under volume: String, in upper: String) {
        let rel = String(PathClean.clean("/" + volume).dropFirst())
        guard !rel.isEmpty, let directory = try? RootedDirectory(path: upper, resolution: .refuseLinks).openDirectory(rel) else { return }
        for name in (try? directory.names()) ?? [] { try? directory.removeTree(name) }
        try? directory.removeExtendedAttribute("trusted.overlay.opaque")
    }

    /// Reads the image a cached step left pending.
    func materialize(_ state: inout StageState, node: Node) async throws(EstibaError) {
        guard let manifest = state.pendingManifest else { return }
        guard let image = await builder.store.image(manifest: manifest) else {
            throw error(node, .io, "The cached image \(manifest.short) disappeared from the store during the build; build again.")
        }
        state.image = image
        state.config = image.config
        state.pendingManifest = nil
    }

    /// Does a step's work; returns its layer, or nil when the file system did not change.
    func perform(_ work: StepWork, node: Node, state: StageState) async throws(EstibaError) -> LayerTar? {
        if case .metadata = work { return nil }
        var lowers: [String] = []
        if let image = state.image {
            do { lowers = try await builder.store.lowerDirectories(of: image) } catch {
                throw self.error(node, .io, "Cannot prepare the parent image's layers: \(error.message)")
            }
        }
        let initLayer: String
        do { initLayer = try InitLayer.ensure(root: builder.root) } catch { throw self.error(node, .io, error.message) }
        let (tmp, empty) = (self.tmp, self.empty)
        let ws = try await builder.store.withContentHeld { () throws(EstibaError) in
            try StepWorkspace(tmp: tmp, lowers: lowers, empty: empty, initLayer: initLayer)
        }
        switch work {
        case .metadata:
            return nil
        case .filesystem(let body):
            let root = try ws.mountRoot()
            defer { ws.unmountAll() }
            try body(root, ws)
        case .run(let arguments, let environment, let network):
            try await runContainer(ws, node: node, state: state, arguments: arguments, environment: environment, network: network)
            // What a RUN writes under a VOLUME goes to the volume, not the image (Docker's classic builder).
            for v in state.config.config.volumes { Self.discardChanges(under: v, in: ws.upper) }
        }
        ws.unmountAll()
        let layer: LayerTar
        do { layer = try await builder.store.addLayer(from: ws.upper, overlayUpper: true, what: "the layer of step \(step)") } catch {
            throw self.error(node, .io, "Cannot store the step's layer: \(error.message)")
        }
        return layer.diffID == Digest.emptyLayer ? nil : layer
    }

    // MARK: RUN

    func runStep(_ node: Node, _ run: RunArguments, _ state: inout StageState) async throws(EstibaError) {
        let network: NetworkMode
        switch run.network {
        case nil: network = options.network
        case .none?: network = .none
        case .host?: network = .host
        }
        let command: [String]
        switch run.command {
        case .exec(let words): command = words
        case .shell(let script): command = state.shell + [script]
        }
        let args = state.runArgs
        var createdBy = command.joined(separator: " ")
        if !args.isEmpty {
            createdBy = "|\(args.count) " + args.map { "\($0.0)=\($0.1)" }.joined(separator: " ") + " " + createdBy
        }
        var environment = state.config.config.env + args.map { "\($0.0)=\($0.1)" }
        for (k, v) in options.buildArgs where Self.predefinedArgs.contains(k) && !args.contains(where: { $0.0 == k }) {
            environment.append(k + "=" + v)
            consumedArgs.insert(k)
        }
        let instruction = "RUN " + command.map(GoFormat.quote).joined(separator: " ")
        try await commit(
            node, &state, instruction: instruction, createdBy: createdBy, args: args, extra: "network=\(network.rawValue)",
            change: { _ in }, work: .run(arguments: command, environment: environment, network: network))
    }

    func runContainer(
        _ ws: StepWorkspace, node: Node, state: StageState, arguments: [String], environment: [String], network: NetworkMode
    ) async throws(EstibaError) {
        let cfg = state.config.config
        // Docker creates the mount points of declared volumes before a RUN.
        if !cfg.volumes.isEmpty {
            let root = try ws.mountRoot()
            for v in cfg.volumes { _ = try root.makeDirectories(v, owner: (0, 0)) }
            ws.unmountAll()
        }
        if let problem = UserSpec.problem(cfg.user ?? "") { throw self.error(node, .invalidArgument, problem) }
        // A container of the image as the step left it, with the step's environment and network, in its own cgroups
        // (for the device allow-list; removed when the step ends).
        var image = cfg
        image.env = environment
        var setup = ContainerSetup(image: image, imageName: "the step's image", id: ContainerStore.newID())
        setup.entrypoint = []
        setup.command = arguments
        setup.network = network
        let stepGroup = Cgroups.stepGroup(root: builder.root, workspace: ws.directory)
        setup.cgroupID = stepGroup
        // On the default bridge network, as with Docker: the step's new namespace is attached while it waits to
        // start, by its cgroup's ID, and taken off when the step ends (a killed build's, with its abandoned
        // cgroup: `Cgroups.removeAbandonedSteps`).
        let directory = ws.directory
        var attach: (@Sendable (Int32) throws(EstibaError) -> Void)?
        if network == .bridge {
            attach = { @Sendable (pid: Int32) throws(EstibaError) in
                try ContainerNetworking.attach(directory: directory, containerID: stepGroup, name: nil, pid: pid, requests: [NetworkRequest(network: Network.defaultNetwork)])
            }
        }
        defer { if network == .bridge { ContainerNetworking.release(containerID: stepGroup) } }
        let spec: ContainerSpec
        // No OCI config.json: the step's bundle is run by the launcher only, and goes when the step ends.
        do { spec = try setup.prepare(root: ws.snapshot, mountPoint: ws.mountPoint, bundle: ws.directory, runtimeConfig: false) } catch {
            throw self.error(node, error.stage == "user" ? .notFound : .io, error.message)
        }

        let output: Pipe
        let nothing: FileDescriptor
        do {
            output = try Pipe()
            nothing = try FileDescriptor.open("/dev/null")
        } catch {
            throw self.error(node, .io, "Cannot create a pipe for the step's output: \(error.reason).")
        }
        // Supervised by a thread of this process: a killed build or service kills its step (and all it started).
        let process: SupervisedProcess
        do {
            process = try await SupervisedProcess.start(
                spec, stdin: nothing.rawValue, stdout: output.writeEnd.rawValue, stderr: output.writeEnd.rawValue, beforeStart: attach)
        } catch {
            throw self.error(node, .buildFailed, error.message)
        }
        // The step's process has its own copies: the output ends once it (and what it started) exits.
        output.writeEnd.close()
        nothing.close()
        let tail = Mutex<[UInt8]>([])
        let stepNumber = step
        let onEvent = self.onEvent
        async let drained: Void = DescriptorPump.drain(output.readEnd) { chunk in
            tail.withLock { t in
                t += chunk
                if t.count > 4096 { t.removeFirst(t.count - 4096) }
            }
            onEvent?(.output(step: stepNumber, bytes: chunk))
        }
        // Cancelling the build (JSON-RPC $/cancelRequest) kills the step's container.
        let pid = process.pid
        let code = await withTaskCancellationHandler {
            await process.exitCode()
        } onCancel: {
            try? Processes.send(.kill, to: pid)
        }
        await drained
        if Task.isCancelled { throw EstibaError.build(.cancelled, "The build was cancelled.", line: node.startLine, instruction: node.original) }
        guard code == 0 else {
            let shown = arguments.joined(separator: " ")
            var e = self.error(node, .buildFailed, "The command '\(shown)' returned a non-zero code: \(code)")
            e.context["exitCode"] = String(code)
            let lines = String(decoding: tail.withLock { $0 }, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            e.context["output"] = lines.suffix(20).joined(separator: "\n")
            throw e
        }
    }
}
