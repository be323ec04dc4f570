import Foundation
import ImageStore
import Runtime
import System
import Testing

/// The one container set-up: a run's options and an image's config become the first process and its spec.
@Suite struct ContainerSetupTests {
    static let id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

    func image(env: [String] = ["PATH=/bin"], user: String? = nil, workdir: String? = nil, entrypoint: [String]? = nil, cmd: [String]? = ["sh"])
        -> ContainerConfig
    {
        var c = ContainerConfig()
        c.env = env
        c.user = user
        c.workingDir = workdir
        c.entrypoint = entrypoint
        c.cmd = cmd
        return c
    }

    /// The spec of `setup` on a fresh snapshot of a layer with users.
    func spec(_ setup: ContainerSetup) throws -> ContainerSpec {
        let dir = try temporaryDirectory("setup")
        defer { removeTree(dir) }
        let root = try snapshot(in: dir, on: [try layerWithUsers(in: dir)])
        return try setup.spec(root: root, mountPoint: dir + "/rootfs", bundle: dir)
    }

    @Test func theEnvironmentMergesByDockersRuleThenAddsHostnameAndHome() throws {
        var setup = ContainerSetup(image: image(env: ["PATH=/bin", "A=1", "B=2", "C=old"]), imageName: "test", id: Self.id)
        setup.environment = ["B=3", "D=4", "C"]
        let s = try spec(setup)
        #expect(s.environment == ["PATH=/bin", "A=1", "B=3", "D=4", "C", "HOSTNAME=0123456789ab", "HOME=/root"])
    }

    @Test func pathDefaultsToDockersWhenTheImageHasNone() throws {
        let s = try spec(ContainerSetup(image: image(env: ["A=1"]), imageName: "test", id: Self.id))
        #expect(s.environment.first == "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        #expect(s.environment.first == DefaultPath.variable)
        #expect(s.environment.filter { $0.hasPrefix("PATH=") }.count == 1)
        var given = ContainerSetup(image: image(env: ["A=1"]), imageName: "test", id: Self.id)
        given.environment = ["PATH=/opt/bin"]
        #expect(try spec(given).environment.filter { $0.hasPrefix("PATH=") } == ["PATH=/opt/bin"])
    }

    @Test func homeComesFromTheUserUnlessTheEnvironmentSetsIt() throws {
        var setup = ContainerSetup(image: image(), imageName: "test", id: Self.id)
        setup.user = "alice"
        #expect(try spec(setup).environment.contains("HOME=/home/alice"))
        setup.user = "nohome"
        #expect(try spec(setup).environment.contains("HOME=/"))
        setup.environment = ["HOME=/elsewhere"]
        let s = try spec(setup)
        #expect(s.environment.filter { $0.hasPrefix("HOME=") } == ["HOME=/elsewhere"])
    }

    @Test func hostnameIsTheIDsPrefixUnlessGiven() throws {
        var setup = ContainerSetup(image: image(), imageName: "test", id: Self.id)
        var s = try spec(setup)
        #expect(s.hostname == "0123456789ab")
        #expect(s.environment.contains("HOSTNAME=0123456789ab"))
        setup.hostname = "probe"
        s = try spec(setup)
        #expect(s.hostname == "probe")
        #expect(s.environment.contains("HOSTNAME=probe"))
        // A HOSTNAME in the environment is kept, once.
        setup.environment = ["HOSTNAME=mine"]
        s = try spec(setup)
        #expect(s.hostname == "probe")
        #expect(s.environment.filter { $0.hasPrefix("HOSTNAME=") } == ["HOSTNAME=mine"])
    }

    @Test func aTerminalGetsTermUnlessTheEnvironmentSetsIt() throws {
        var setup = ContainerSetup(image: image(), imageName: "test", id: Self.id)
        var s = try spec(setup)
        #expect(!s.terminal)
        #expect(!s.environment.contains { $0.hasPrefix("TERM=") })
        setup.tty = true
        s = try spec(setup)
        #expect(s.terminal)
        #expect(s.environment.last == "TERM=xterm")
        setup.environment = ["TERM=vt100"]
        #expect(try spec(setup).environment.filter { $0.hasPrefix("TERM=") } == ["TERM=vt100"])
    }

    @Test func usersAreLookedUpInTheContainersLayers() throws {
        var setup = ContainerSetup(image: image(user: "alice"), imageName: "test", id: Self.id)
        var s = try spec(setup)
        #expect(s.user.uid == 4242 && s.user.gid == 4343 && s.user.groups == [4343, 4444])
        setup.user = "alice:wheel"
        s = try spec(setup)
        #expect(s.user.uid == 4242 && s.user.gid == 10 && s.user.groups == [10])
        setup.user = "1000:1000"
        s = try spec(setup)
        #expect(s.user.uid == 1000 && s.user.gid == 1000)
        setup.user = nil
        setup.image.user = nil
        s = try spec(setup)
        #expect(s.user.uid == 0 && s.user.gid == 0 && s.user.groups == [0])
        setup.user = "ghost"
        #expect {
            try spec(setup)
        } throws: { error in
            let e = error as? EstibaError
            return e?.stage == "user" && e?.message.contains("Unable to find user ghost") == true
        }
    }

    @Test func aUserAddedInTheWritableLayerIsFound() throws {
        let dir = try temporaryDirectory("upper")
        defer { removeTree(dir) }
        let root = try snapshot(in: dir, on: [try layerWithUsers(in: dir)])
        try write("root:x:0:0:root:/root:/bin/sh\nbob:x:5000:5000::/home/bob:/bin/sh\n", to: root.upper + "/etc/passwd")
        var setup = ContainerSetup(image: image(), imageName: "test", id: Self.id)
        setup.user = "bob"
        let s = try setup.spec(root: root, mountPoint: dir + "/rootfs", bundle: dir)
        #expect(s.user.uid == 5000)
        let exec = try ContainerSetup.exec(in: s, command: ["id"], environment: [], user: "bob", workingDirectory: nil, tty: false)
        #expect(exec.user.uid == 5000 && exec.user.gid == 5000)
    }

    @Test func theWorkingDirectoryIsGivenOrTheImagesOrRoot() throws {
        var setup = ContainerSetup(image: image(), imageName: "test", id: Self.id)
        #expect(try spec(setup).workingDirectory == "/")
        setup.image.workingDir = "/app"
        #expect(try spec(setup).workingDirectory == "/app")
        setup.workingDirectory = "/tmp"
        #expect(try spec(setup).workingDirectory == "/tmp")
    }

    @Test func argumentsFollowDockersEntrypointAndCmdRules() throws {
        var setup = ContainerSetup(image: image(entrypoint: ["/entry"], cmd: ["default"]), imageName: "busybox", id: Self.id)
        #expect(try setup.arguments() == ["/entry", "default"])
        setup.command = ["given"]
        #expect(try setup.arguments() == ["/entry", "given"])
        setup.command = []
        setup.entrypoint = ["/other"]
        #expect(try setup.arguments() == ["/other"])
        setup.entrypoint = []
        setup.command = ["sh", "-c", "true"]
        #expect(try setup.arguments() == ["sh", "-c", "true"])
        let none = ContainerSetup(image: image(cmd: nil), imageName: "busybox", id: Self.id)
        #expect {
            try none.arguments()
        } throws: { error in
            (error as? EstibaError)?.message == "No command given and image busybox has no CMD or ENTRYPOINT; add a command after the image name."
        }
    }

    @Test func theSpecCarriesTheRunsOptions() throws {
        var setup = ContainerSetup(image: image(), imageName: "test", id: Self.id)
        setup.network = .host
        setup.readOnlyRoot = true
        setup.volumes = [VolumeMount(source: "/srv/data", target: "/data", readOnly: true)]
        setup.limits = ResourceLimits(memoryBytes: 64 << 20, pids: 10)
        setup.security = try SecurityOptions.parse(["seccomp=unconfined", "no-new-privileges"])
        var s = try spec(setup)
        #expect(s.network == .host && s.readOnlyRoot && s.noNewPrivileges && s.seccomp == nil)
        #expect(s.mounts == setup.volumes)
        #expect(s.limits == ResourceLimits(memoryBytes: 64 << 20, pids: 10))
        #expect(s.cgroupID == Self.id)
        #expect(s.policy == SecurityPolicy.standard)
        #expect(s.root.parents.count == 1 && s.root.upper.hasSuffix("/upper") && s.mountPoint.hasSuffix("/rootfs"))
        #expect(s.hostsFile?.hasSuffix("/hosts") == true && s.hostnameFile?.hasSuffix("/hostname") == true)
        #expect(s.resolvFile?.hasSuffix("/resolv.conf") == true)
        setup.cgroupID = "step-x"
        s = try spec(setup)
        #expect(s.cgroupID == "step-x")
        let confined = try spec(ContainerSetup(image: image(), imageName: "t", id: Self.id))
        #expect(confined.seccomp == SeccompProfile.defaultFilter && !confined.noNewPrivileges)
    }

    @Test func aBuildStepRunsItsCommandWithItsEnvironmentAndNoTerminal() throws {
        // The builder hands the step's environment (the image's ENV and the build args) as the image's.
        var setup = ContainerSetup(image: image(env: ["PATH=/bin", "ARG1=x"], user: "alice", entrypoint: ["/entry"], cmd: ["c"]), imageName: "step", id: Self.id)
        setup.entrypoint = []
        setup.command = ["/bin/sh", "-c", "echo hi"]
        setup.network = .none
        let s = try spec(setup)
        #expect(s.arguments == ["/bin/sh", "-c", "echo hi"])
        #expect(s.environment == ["PATH=/bin", "ARG1=x", "HOSTNAME=0123456789ab", "HOME=/home/alice"])
        #expect(!s.terminal && s.network == .none && s.user.uid == 4242)
    }

    @Test func anExecTakesTheContainersProcessWithItsOwnChanges() throws {
        var setup = ContainerSetup(image: image(env: ["PATH=/bin", "A=1"]), imageName: "test", id: Self.id)
        setup.workingDirectory = "/srv"
        let container = try spec(setup)
        let dir = try temporaryDirectory("exec")
        defer { removeTree(dir) }
        let root = try snapshot(in: dir, on: [try layerWithUsers(in: dir)])
        var running = container
        running.root = root
        let e = try ContainerSetup.exec(in: running, command: ["id"], environment: ["A=2", "B=3"], user: "alice", workingDirectory: nil, tty: true)
        #expect(e.arguments == ["id"])
        #expect(e.environment == ["PATH=/bin", "HOSTNAME=0123456789ab", "HOME=/root", "A=2", "B=3"])
        #expect(e.workingDirectory == "/srv" && e.terminal && e.user.uid == 4242)
        #expect(e.hostname == container.hostname && e.cgroupID == container.cgroupID)
        let same = try ContainerSetup.exec(in: running, command: ["ls"], environment: [], user: nil, workingDirectory: "/", tty: false)
        #expect(same.user.uid == 0 && same.workingDirectory == "/" && !same.terminal)
    }

    @Test func theTerminalsSizeGoesWithTheTerminal() throws {
        let size = TerminalSize(rows: 37, columns: 101)
        var setup = ContainerSetup(image: image(env: ["PATH=/bin"]), imageName: "test", id: Self.id)
        setup.terminalSize = size
        #expect(try spec(setup).terminalSize == nil)
        setup.tty = true
        let sized = try spec(setup)
        #expect(sized.terminal && sized.terminalSize == size)
        let other = TerminalSize(rows: 5, columns: 6)
        let e = try ContainerSetup.exec(in: sized, command: ["stty", "size"], environment: [], user: nil, workingDirectory: nil, tty: true, terminalSize: other)
        #expect(e.terminal && e.terminalSize == other)
        let plain = try ContainerSetup.exec(in: sized, command: ["ls"], environment: [], user: nil, workingDirectory: nil, tty: false, terminalSize: other)
        #expect(!plain.terminal && plain.terminalSize == nil)
    }
}
