import System
import Testing

@Suite struct KernelReleaseTests {
    @Test func theReleaseIsWhatProcSays() throws {
        let proc = String(decoding: try Files.read("/proc/sys/kernel/osrelease"), as: UTF8.self)
        #expect(Machine.kernelRelease + "\n" == proc)
        #expect(Machine.kernelRelease.first?.isNumber == true)
    }
}
