import Engine
import Foundation
import System
import Testing

/// Named volumes in the store.
@Suite struct VolumeTests {
    let root = NSTemporaryDirectory() + "estiba-engine-volumes-" + UUID().uuidString

    /// Named volumes are made, listed and removed in the store.
    @Test func namedVolumesAreMadeListedAndRemoved() throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let engine = Engine(configuration: EngineConfiguration(root: root))
        let made = try engine.createVolume("cache-1")
        #expect(made.mountpoint == root + "/volumes/cache-1/_data")
        #expect(FileManager.default.fileExists(atPath: made.mountpoint))
        _ = try engine.createVolume("cache-1")
        #expect(try engine.volumes().map(\.name) == ["cache-1"])
        #expect(try engine.removeVolumes(["cache-1"], force: false) == ["cache-1"])
        #expect(try engine.volumes().isEmpty)
        let error = #expect(throws: EstibaError.self) { try engine.removeVolumes(["cache-1"], force: false) }
        #expect(error?.code == .notFound)
    }
}
