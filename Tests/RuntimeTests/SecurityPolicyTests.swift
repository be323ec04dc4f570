import Runtime
import Testing

/// Docker's confinement, written once: what the bundle says and the launcher applies.
@Suite struct SecurityPolicyTests {
    let policy = SecurityPolicy.standard

    @Test func theUsualProcPathsAreMaskedOrReadOnly() {
        #expect(policy.maskedPaths == [
            "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
            "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
        ])
        #expect(policy.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
    }

    @Test func theCapabilitiesAreDockersDefaultSet() {
        #expect(policy.capabilityNames == [
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID",
            "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
        ])
        // As a mask, the CapEff a root process in a Docker container shows.
        let mask = policy.capabilities.reduce(UInt64(0)) { $0 | (1 << UInt64($1.number)) }
        #expect(mask == 0xa8_0425fb)
    }

    @Test func devHasTheStandardNodesAndOnlyTheyAndTheTerminalsOpen() {
        #expect(policy.deviceNodes.map { "\($0.path) \($0.type) \($0.major):\($0.minor) \(String($0.mode, radix: 8))" } == [
            "/dev/null c 1:3 666", "/dev/zero c 1:5 666", "/dev/full c 1:7 666", "/dev/random c 1:8 666", "/dev/urandom c 1:9 666",
            "/dev/tty c 5:0 666",
        ])
        #expect(policy.allowedDevices.map(\.v1Line) == [
            "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm",
            "c 136:* rwm",
        ])
    }

    @Test func aContainersDeviceRulesAddItsDevicesToThePolicys() throws {
        let dir = try temporaryDirectory("devices")
        defer { removeTree(dir) }
        var spec = ContainerSpec(root: ActiveSnapshot(directory: dir, parents: []), mountPoint: dir, arguments: ["true"], environment: [], hostname: "h")
        spec.devices = [try DeviceNode.parse("/dev/null:/dev/mynull:r")]
        #expect(spec.deviceRules == policy.allowedDevices + [DeviceRule(type: "c", major: 1, minor: 3, access: "r")])
    }
}
