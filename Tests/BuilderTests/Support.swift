import Foundation
import Synchronization
import Testing

@testable import Builder
@testable import Dockerfile
@testable import ImageStore

/// A scratch directory removed by the caller.
func scratchDirectory(_ tag: String) throws -> String {
    let path = "/tmp/estiba-builder-\(tag)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// The typed form of one Dockerfile line.
func instruction(_ line: String) throws -> Instruction {
    try #require(try DockerfileParser.parse(line).typedInstructions().first).instruction
}

/// A store, a context and a build of `dockerfile` in them, not started.
struct BuildFixture {
    let root: String
    let context: String
    let builder: Builder

    init(_ tag: String) throws {
        root = try scratchDirectory(tag + "-store")
        context = try scratchDirectory(tag + "-ctx")
        builder = Builder(store: try ImageStore(root: root), root: root)
    }

    func options(_ dockerfile: String) -> BuildOptions {
        var options = BuildOptions(contextDirectory: context)
        options.dockerfileText = dockerfile
        return options
    }

    func run(_ dockerfile: String) throws -> BuildRun { try BuildRun(builder: builder, options: options(dockerfile), onEvent: nil) }

    func write(_ name: String, _ text: String, mode: Int = 0o644) throws {
        let path = context + "/" + name
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func remove() {
        removeTree(root)
        removeTree(context)
    }
}

/// Events a build reported.
final class EventLog: Sendable {
    private let events = Mutex<[BuildEvent]>([])

    var handler: BuildEventHandler { { e in self.events.withLock { $0.append(e) } } }

    var startedSteps: [Int] {
        events.withLock { $0.compactMap { if case .stepStarted(let s) = $0 { s.step } else { nil } } }
    }
}
