import EstibaJSON
import Foundation
import ImageStore
import Runtime
import System
import Testing

/// The bundle the set-up writes: the /etc files and an OCI config.json that runc runs as is.
@Suite struct BundleTests {
    /// A prepared container (`configure` sets its options) and its parsed config.json.
    func prepared(_ configure: (inout ContainerSetup) throws -> Void = { _ in }) throws -> (spec: ContainerSpec, config: JSONValue, files: [String: String]) {
        let dir = try temporaryDirectory("bundle")
        defer { removeTree(dir) }
        let layer = try layerWithUsers(in: dir)
        try FileManager.default.createDirectory(atPath: dir + "/lower2", withIntermediateDirectories: true)
        var image = ContainerConfig()
        image.env = ["PATH=/bin"]
        image.cmd = ["sh"]
        var setup = ContainerSetup(image: image, imageName: "test", id: "feedfacecafe" + String(repeating: "0", count: 52))
        try configure(&setup)
        let spec = try setup.prepare(root: try snapshot(in: dir, on: [layer, dir + "/lower2"]), mountPoint: dir + "/rootfs", bundle: dir)
        let bundle = BundleFiles(directory: dir)
        var files: [String: String] = [:]
        for (name, path) in [("hosts", bundle.hosts), ("hostname", bundle.hostname), ("resolv.conf", bundle.resolvConf)] {
            files[name] = String(decoding: try Files.read(path), as: UTF8.self)
        }
        let config = try JSONValue.parse(try Files.read(bundle.config))
        // The bundle describes the spec it was written from.
        let read = try Bundle.spec(from: config, directory: dir)
        #expect(read.arguments == spec.arguments && read.environment == spec.environment && read.hostname == spec.hostname)
        #expect(read.root == spec.root && read.mountPoint == spec.mountPoint && read.mounts == spec.mounts)
        #expect(read.user == spec.user && read.network == spec.network && read.readOnlyRoot == spec.readOnlyRoot)
        #expect(read.cgroupID == spec.cgroupID && read.seccomp == spec.seccomp && read.noNewPrivileges == spec.noNewPrivileges)
        #expect(read.hostsFile == spec.hostsFile && read.hostnameFile == spec.hostnameFile && read.resolvFile == spec.resolvFile)
        return (spec, config, files)
    }

    @Test func theEtcFilesNameTheHost() throws {
        let (_, _, files) = try prepared { $0.hostname = "probe" }
        #expect(files["hosts"] == "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tprobe\n")
        #expect(files["hostname"] == "probe\n")
        #expect(files["resolv.conf"] == String(decoding: try Files.read("/etc/resolv.conf"), as: UTF8.self))
    }

    /// A build step's bundle (no runtime config) prepared in `dir`.
    func stepBundle(in dir: String) throws -> (ContainerSpec, BundleFiles) {
        let layer = try layerWithUsers(in: dir)
        var image = ContainerConfig()
        image.cmd = ["sh"]
        let setup = ContainerSetup(image: image, imageName: "test", id: "feedfacecafe" + String(repeating: "0", count: 52))
        let spec = try setup.prepare(root: try snapshot(in: dir, on: [layer]), mountPoint: dir + "/rootfs", bundle: dir, runtimeConfig: false)
        return (spec, BundleFiles(directory: dir))
    }

    @Test func aBundleWithoutTheRuntimeConfigHasOnlyTheEtcFiles() throws {
        let dir = try temporaryDirectory("bundle")
        defer { removeTree(dir) }
        let (spec, bundle) = try stepBundle(in: dir)
        #expect(!Files.exists(bundle.config))
        #expect(String(decoding: try Files.read(bundle.hostname), as: UTF8.self) == spec.hostname + "\n")
        #expect(Files.exists(bundle.hosts) && Files.exists(bundle.resolvConf))
    }

    @Test func aBundleIsWrittenOnceAndNeverOverwritten() throws {
        let dir = try temporaryDirectory("bundle")
        defer { removeTree(dir) }
        let (spec, bundle) = try stepBundle(in: dir)
        try Files.write(Array("kept\n".utf8), to: bundle.hostname)
        let refused = #expect(throws: EstibaError.self) { try bundle.write(spec, runtimeConfig: false) }
        #expect(refused?.stage == "bundle" && refused?.isAlreadyExisting == true)
        #expect(try Files.read(bundle.hostname) == Array("kept\n".utf8))
    }

    @Test func theProcessIsTheSpecsWithDockersCapabilities() throws {
        let (spec, config, _) = try prepared { $0.user = "alice"; $0.command = ["sh", "-c", "id"]; $0.workingDirectory = "/tmp" }
        let process = try #require(config["process"])
        #expect(config["ociVersion"] == "1.0.2")
        #expect(process["args"] == JSONValue(["sh", "-c", "id"]))
        #expect(process["env"] == JSONValue(spec.environment))
        #expect(process["cwd"] == "/tmp")
        #expect(process["terminal"] == false)
        #expect(process["user"] == ["uid": 4242, "gid": 4343, "additionalGids": [4343, 4444]])
        let caps = JSONValue(SecurityPolicy.standard.capabilityNames)
        #expect(process["capabilities"] == ["bounding": caps, "effective": caps, "permitted": caps, "inheritable": caps])
        #expect(process["noNewPrivileges"] == false)
        #expect(config["hostname"] == .string(spec.hostname))
        #expect(config["root"] == ["path": .string(spec.mountPoint), "readonly": false])
    }

    @Test func linuxHasThePolicysPathsNamespacesCgroupsAndDevices() throws {
        let (spec, config, _) = try prepared()
        let linux = try #require(config["linux"])
        #expect(linux["maskedPaths"] == JSONValue(SecurityPolicy.standard.maskedPaths))
        #expect(linux["readonlyPaths"] == JSONValue(SecurityPolicy.standard.readonlyPaths))
        #expect(linux["namespaces"] == [["type": "pid"], ["type": "ipc"], ["type": "uts"], ["type": "mount"], ["type": "network"]])
        #expect(linux["cgroupsPath"] == .string("estiba/" + (spec.cgroupID ?? "")))
        let rules = linux["resources"]?["devices"]?.arrayValue ?? []
        #expect(rules.first == ["allow": false, "access": "rwm"])
        #expect(rules.count == 1 + SecurityPolicy.standard.allowedDevices.count)
        #expect(linux["seccomp"] != nil)
        #expect(config["annotations"]?["org.opencontainers.image.lowerdirs"] == .string(spec.root.parents.joined(separator: ":")))
        let host = try prepared { $0.network = .host }
        #expect(host.config["linux"]?["namespaces"]?.arrayValue?.count == 4)
    }

    @Test func mountsAreTheKernelFileSystemsTheEtcFilesAndTheVolumes() throws {
        let (spec, config, _) = try prepared { $0.volumes = [VolumeMount(source: "/srv/a", target: "/a", readOnly: true), VolumeMount(source: "/srv/b", target: "/b", readOnly: false)] }
        let mounts = config["mounts"]?.arrayValue ?? []
        #expect(mounts.compactMap { $0["destination"]?.stringValue } == [
            "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/etc/hosts", "/etc/hostname", "/etc/resolv.conf", "/a", "/b",
        ])
        #expect(mounts[6] == ["destination": "/etc/hosts", "type": "bind", "source": .string(spec.hostsFile ?? ""), "options": ["rbind", "ro", "nosuid", "nodev"]])
        #expect(mounts[9] == ["destination": "/a", "type": "bind", "source": "/srv/a", "options": ["rbind", "ro"]])
        #expect(mounts[10] == ["destination": "/b", "type": "bind", "source": "/srv/b", "options": ["rbind", "rw"]])
    }

    @Test func securityOptionsReachTheBundle() throws {
        let (_, config, _) = try prepared {
            $0.security = try SecurityOptions.parse(["seccomp=unconfined", "no-new-privileges"])
            $0.readOnlyRoot = true
            $0.limits = ResourceLimits(memoryBytes: 64 << 20, pids: 20, cpus: 0.5)
        }
        #expect(config["linux"]?["seccomp"] == nil)
        #expect(config["annotations"]?["io.estiba.seccomp.unconfined"] == "true")
        #expect(config["process"]?["noNewPrivileges"] == true)
        #expect(config["root"]?["readonly"] == true)
        let resources = config["linux"]?["resources"]
        #expect(resources?["memory"] == ["limit": .int(64 << 20)])
        #expect(resources?["pids"] == ["limit": 20])
        #expect(resources?["cpu"] == ["quota": 50000, "period": 100000])
    }
}
