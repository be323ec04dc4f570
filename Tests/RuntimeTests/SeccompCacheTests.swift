import Runtime
import System
import Testing

/// Compiled seccomp programs are kept on disk for the next process, written whole and readable by root only.
@Suite struct SeccompCacheTests {
    @Test func aCompiledProgramIsStoredWholeForTheNextProcess() throws {
        let marker = "estiba_marker_" + ContainerStore.newID().prefix(16)
        let profile = #"{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "\#(marker)"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}"#
        _ = try SecurityOptions.parse(["seccomp=" + profile])
        let directory = "/run/estiba/seccomp"
        let stored = try FileDescriptor.open(directory, .directory).names().filter { $0.hasSuffix(".bpf") }.compactMap { name -> (String, [UInt8])? in
            guard let bytes = try? Files.read(directory + "/" + name), bytes.firstRange(of: Array(marker.utf8)) != nil else { return nil }
            return (name, bytes)
        }
        let (name, bytes) = try #require(stored.first)
        defer { try? Files.remove(directory + "/" + name) }
        #expect(stored.count == 1)
        #expect(bytes.starts(with: Array("estiba-seccomp 1\n".utf8)))
        #expect(try Files.status(directory + "/" + name).permissions == 0o600)
        // The key (the filter as JSON on one line) ends with a newline; the program after it is whole BPF
        // instructions of 8 bytes.
        let filter = try #require(bytes.firstRange(of: Array(marker.utf8)))
        let keyEnd = try #require(bytes[filter.upperBound...].firstIndex(of: 0x0A))
        #expect((bytes.count - keyEnd - 1) % 8 == 0 && bytes.count - keyEnd - 1 > 0)
    }
}
