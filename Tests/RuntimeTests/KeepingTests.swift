import Foundation
import ImageStore
import Runtime
import Synchronization
import System
import Testing

/// A kept container's keeper records how it ended: its exit code once its command ran, or that it never started
/// when its caller did not let it go (a caller that dies between starting it and letting it run looks the same).
@Suite struct KeepingTests {
    /// A container running `command` in a busybox root prepared in `dir`.
    func spec(in dir: String, _ command: [String]) throws -> ContainerSpec {
        let layer = dir + "/layer"
        try FileManager.default.createDirectory(atPath: layer + "/bin", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: layer + "/bin/busybox")
        try FileManager.default.createDirectory(atPath: dir + "/rootfs", withIntermediateDirectories: true)
        var image = ContainerConfig()
        image.env = ["PATH=/bin"]
        let id = ContainerStore.newID()
        var setup = ContainerSetup(image: image, imageName: "keeping", id: id)
        setup.command = command
        setup.cgroupID = id
        return try setup.prepare(root: try snapshot(in: dir, on: [layer]), mountPoint: dir + "/rootfs", bundle: dir)
    }

    @Test func aContainerNeverLetGoIsRecordedAsNeverStarted() throws {
        let dir = try temporaryDirectory("keeping-never")
        defer { removeTree(dir) }
        let spec = try spec(in: dir, ["busybox", "touch", "/ran"])
        let keeping = Keeping(exitFile: dir + "/exit", settleCommand: nil) { _, _ in false }
        let refused = #expect(throws: EstibaError.self) { try Launcher.start(spec, keeping: keeping) }
        #expect(refused?.stage == "record", "\(String(describing: refused))")
        #expect(Keeping.recordedEnd(in: dir + "/exit") == .neverStarted)
        #expect(!Files.exists(spec.root.upper + "/ran"))
        if let id = spec.cgroupID { #expect(Cgroups.existing(id: id).directories.isEmpty) }
    }

    @Test func aContainerLetGoIsRecordedWithItsExitCode() async throws {
        let dir = try temporaryDirectory("keeping-ran")
        defer { removeTree(dir) }
        let spec = try spec(in: dir, ["busybox", "sh", "-c", "exit 3"])
        let announced = Mutex<[Int32]>([])
        let keeping = Keeping(exitFile: dir + "/exit", settleCommand: nil) { pid, keeper in
            announced.withLock { $0 = [pid, keeper] }
            return true
        }
        let process = try Launcher.start(spec, keeping: keeping)
        #expect(announced.withLock { $0 } == [process.pid, process.keeper?.pid ?? 0])
        #expect(await Launcher.wait(process) == 3)
        #expect(Keeping.recordedEnd(in: dir + "/exit") == .exited(3))
    }
}
