import Foundation
import Glibc
import Runtime
import System
import Testing

/// A network namespace is configured only while it is the container's: the host's own is never handed to a plugin,
/// and a namespace is told apart from the host's and from one that is gone.
@Suite struct NamespaceGuardTests {
    /// `unshare -n sleep 30`, once it is in a network namespace of its own.
    func isolatedProcess() throws -> Int32? {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("namespace tests need root and util-linux's unshare") }
            return nil
        }
        var spawn = Spawn(executable: "/usr/bin/unshare", arguments: ["unshare", "-n", "sleep", "30"])
        spawn.closeOtherDescriptors = true
        let pid = try spawn.start()
        let deadline = Clocks.monotonicSeconds + 10
        while NamespaceIdentity.isHosts("/proc/\(pid)/ns/net"), Clocks.monotonicSeconds < deadline { sleepThread(nanoseconds: 2_000_000) }
        return pid
    }

    @Test func namespacesAreToldApartAndAGoneOneHasNone() throws {
        // (init's own may not be readable: this VM's init is not dumpable; this process's is the host's here.)
        #expect(NamespaceIdentity.isHosts("/proc/self/ns/net"))
        guard let pid = try isolatedProcess() else { return }
        let path = "/proc/\(pid)/ns/net"
        let own = try #require(NamespaceIdentity(path: path))
        #expect(!NamespaceIdentity.isHosts(path))
        #expect(own != NamespaceIdentity(path: "/proc/self/ns/net"))
        #expect(NamespaceIdentity(own.description) == own)
        try Processes.send(.kill, to: pid)
        _ = try Processes.wait(for: pid)
        #expect(NamespaceIdentity(path: path) == nil)
        #expect(!NamespaceIdentity.isHosts(path))
    }

    /// Handed the host's namespace (a pid that now names a host process), the driver refuses before any plugin
    /// runs: a plugin would create or delete the container's interface (eth0) in the host itself.
    @Test func theHostsNamespaceIsNeverConfigured() throws {
        guard geteuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/lib/cni/bridge") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("network tests need containernetworking-plugins (.ci/install)") }
            return
        }
        let driver = try CNIDriver()
        let request = NetworkAttachRequest(
            containerID: "namespace-guard-\(getpid())", namespacePath: "/proc/self/ns/net", interface: "eth0", network: Network.defaultNetwork, ports: [])
        let error = #expect(throws: EstibaError.self) { try driver.attach(request) }
        #expect(error?.message.contains("is the host's") == true, "\(String(describing: error))")
    }
}
