import ImageStore
import Runtime
import System

/// A container the create step made: its record, its spec (written to its bundle) and its store.
struct CreatedContainer: Sendable {
    var record: ContainerRecord
    let spec: ContainerSpec
    let store: ContainerStore
    var directory: String { store.path(record.id) }
}

extension Engine {
    /// The create step of `run` and `create`: checks the options, then sets the container up from its image (see
    /// `ContainerSetup`): its record and writable layer, its volumes (filled from the image when new) and its
    /// bundle.
    func createContainer(_ o: RunOptions) async throws(EstibaError) -> CreatedContainer {
        try Limits.check(o.limits)
        if let user = o.user { try Limits.checkUser(user) }
        // The image first, pulled if `o.pull` says so; a pulled image is tagged, or named by its ID.
        let image = try await availableImage(o.image, policy: o.pull, onEvent: o.onPull)
        // One lease from resolving the image until the container's record exists (from then on the record keeps
        // the image): a collection in between cannot take the layers the container mounts.
        return try await withStore { store throws(EstibaError) in try await createContainer(o, image: image, in: store) }
    }

    private func createContainer(_ o: RunOptions, image spec: String, in store: ImageStore) async throws(EstibaError) -> CreatedContainer {
        let image = try await inspectImage(spec)
        let lowers = try await store.lowerDirectories(of: image)
        let id = ContainerStore.newID()
        var setup = ContainerSetup(image: image.config.config, imageName: o.image, id: id)
        setup.command = o.command
        setup.entrypoint = o.entrypoint
        setup.environment = o.environment
        setup.user = o.user
        setup.workingDirectory = o.workingDirectory
        setup.hostname = o.hostname
        setup.tty = o.tty
        setup.terminalSize = o.terminalSize
        let network = try networkChoice(o, exposed: image.config.config.exposedPorts)
        setup.network = network.mode
        setup.networkGateway = network.request?.network.gateway
        setup.extraHosts = o.extraHosts
        setup.dnsServers = o.dns
        setup.dnsSearch = o.dnsSearch
        setup.dnsOptions = o.dnsOptions
        setup.readOnlyRoot = o.readOnly
        setup.limits = o.limits
        let arguments: [String]
        do { arguments = try setup.arguments() } catch { throw error.recoded(.invalidArgument) }
        do throws(EstibaError) {
            setup.security = try SecurityOptions.parse(o.securityOptions)
            setup.devices = try o.devices.map { (d: String) throws(EstibaError) in try DeviceNode.parse(d) }
        } catch {
            throw error.recoded(.invalidArgument).adding(["image": o.image])
        }
        let containers = try containerStore()
        let mounted: [String]
        do throws(EstibaError) { mounted = [try InitLayer.ensure(root: configuration.root)] + lowers } catch {
            throw error.recoded(.io)
        }
        let name = o.name ?? "estiba_" + String(id.prefix(8))
        guard ContainerStore.validName(name) else {
            throw EstibaError(.invalidArgument, "Invalid container name \"\(name)\": use letters, digits, '_', '.' and '-', starting with a letter or digit.", context: ["container": name])
        }
        let volumes = try await containerVolumes(o.volumes, imageVolumes: setup.image.volumes, layers: lowers, store: store)
        setup.volumes = volumes.mounts
        try Limits.checkUser(setup.effectiveUser)

        var record = ContainerRecord(
            id: id, name: name, image: o.image, imageID: image.id.description, command: arguments,
            created: Timestamp.now().seconds, lowerDirectories: mounted)
        record.labels = setup.image.labels.merging(o.labels) { _, new in new }
        record.anonymousVolumes = volumes.anonymous
        record.networkMode = network.request?.network.name ?? o.network
        // Attached at each start (see `ContainerNetworking`), as the record says.
        record.portBindings = network.request?.ports ?? []
        record.networkAliases = network.request?.aliases ?? []
        if !o.createOnly && !o.detach {
            // Run in the foreground: this process supervises it from now on (see `ContainerRecovery`).
            record.monitorPid = Processes.currentID
            record.autoRemove = o.remove
        }
        await configuration.beforeContainerRecord?()
        let root: ActiveSnapshot
        do { root = try containers.create(record) } catch { throw error.adding(["container": name]) }
        let bundle = BundleFiles(directory: containers.path(id))
        do {
            let spec = try setup.prepare(root: root, mountPoint: bundle.rootfs, bundle: bundle.directory)
            return CreatedContainer(record: record, spec: spec, store: containers)
        } catch {
            containers.remove(id)
            if error.stage == "user" {
                throw error.recoded(.invalidArgument).adding(["user": setup.effectiveUser, "image": o.image])
            }
            throw error.recoded(.io)
        }
    }

    /// `create`: the created container is kept to be started later, in the background.
    func keepCreated(_ c: CreatedContainer, _ o: RunOptions) throws(EstibaError) {
        guard !o.tty, o.runtime == .estiba else {
            c.store.remove(c.record.id)
            throw EstibaError(.invalidArgument, "Created containers start in the background, without a terminal, on the default runtime; drop -t or --runtime.")
        }
        var record = c.record
        record.autoRemove = o.remove
        do { try c.store.save(record) } catch {
            c.store.remove(record.id)
            throw error.recoded(.io)
        }
    }
}
