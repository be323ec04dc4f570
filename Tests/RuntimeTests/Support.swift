import Foundation
import Glibc
import ImageStore
import Runtime

/// A fresh directory under /tmp, removed by the caller.
func temporaryDirectory(_ tag: String) throws -> String {
    let path = "/tmp/estiba-runtime-\(tag)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

func write(_ text: String, to path: String) throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}

/// An image layer with users: root, alice (4242, home /home/alice, also in extra) and a staff group.
func layerWithUsers(in dir: String) throws -> String {
    let layer = dir + "/layer"
    try write("root:x:0:0:root:/root:/bin/sh\nalice:x:4242:4343::/home/alice:/bin/sh\nnohome:x:77:77:::/bin/sh\n", to: layer + "/etc/passwd")
    try write("root:x:0:\nstaff:x:4343:\nextra:x:4444:alice\nwheel:x:10:\n", to: layer + "/etc/group")
    return layer
}

/// A container's snapshot on `layer`, prepared in `dir`.
func snapshot(in dir: String, on layers: [String]) throws -> ActiveSnapshot {
    try ActiveSnapshot.prepare(in: dir, parents: layers)
}
