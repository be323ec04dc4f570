import Foundation
import Glibc
import System
import Testing

@testable import ImageStore

func temporaryDirectory(_ tag: String = "store") throws -> String {
    let path = "/tmp/estiba-\(tag)-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

func removeTree(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

/// Runs a Python 3 snippet (used to craft tar files byte for byte, including hostile ones).
@discardableResult
func python(_ script: String, _ args: [String] = []) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", script] + args
    let out = Foundation.Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    if p.terminationStatus != 0 { throw EstibaError(.io, "python3 failed (\(p.terminationStatus))") }
    return String(decoding: data, as: UTF8.self)
}

func writeFile(_ path: String, _ text: String, mode: mode_t = 0o644) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
    chmod(path, mode)
}

func setMtime(_ path: String, _ seconds: Int, nofollow: Bool = false) {
    var times = [timespec(tv_sec: seconds, tv_nsec: 123_456_789), timespec(tv_sec: seconds, tv_nsec: 123_456_789)]
    utimensat(AT_FDCWD, path, &times, nofollow ? AT_SYMLINK_NOFOLLOW : 0)
}

/// A comparable description of everything a layer must preserve about a tree.
func describeTree(_ root: String) throws -> [String: String] {
    var out: [String: String] = [:]
    let fm = FileManager.default
    guard let walker = fm.enumerator(atPath: root) else { return out }
    var inodes: [UInt64: String] = [:]
    for case let rel as String in walker {
        let full = root + "/" + rel
        var st = stat()
        guard lstat(full, &st) == 0 else { continue }
        let type = st.st_mode & S_IFMT
        var d = "mode=\(String(st.st_mode, radix: 8)) uid=\(st.st_uid) gid=\(st.st_gid)"
        // Layers keep mtimes to the second, rounded.
        if type != S_IFDIR { d += " mtime=\(st.st_mtim.tv_nsec >= 500_000_000 ? st.st_mtim.tv_sec + 1 : st.st_mtim.tv_sec)" }
        switch type {
        case S_IFREG:
            d += " content=\(String(decoding: fm.contents(atPath: full) ?? Data(), as: UTF8.self))"
            if st.st_nlink > 1 {
                if let first = inodes[UInt64(st.st_ino)] { d += " hardlink-of=\(first)" } else { inodes[UInt64(st.st_ino)] = rel }
            }
        case S_IFLNK: d += " target=\((try? fm.destinationOfSymbolicLink(atPath: full)) ?? "?")"
        case S_IFCHR, S_IFBLK: d += " rdev=\(st.st_rdev)"
        default: break
        }
        if let value = attribute(full, "user.estiba") { d += " xattr=\(value)" }
        out[rel] = d
    }
    return out
}

/// Writes the layer of `dir` to a file; returns the file path and the result.
func writeLayer(_ dir: String, overlayUpper: Bool = false) throws -> (String, LayerTar) {
    let path = "/tmp/estiba-layer-\(UUID().uuidString.prefix(8)).tar"
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    defer { close(fd) }
    return (path, try LayerWriter.write(directory: dir, to: fd, overlayUpper: overlayUpper))
}

func fileSHA256(_ path: String) -> String {
    let h = SHA256()
    let data = FileManager.default.contents(atPath: path) ?? Data()
    data.withUnsafeBytes { h.update($0) }
    return h.finalize().description
}

/// Runs a program (looked up in PATH), returning its exit status and combined output.
func runProcess(_ args: [String], env: [String: String] = [:]) throws -> (status: Int32, output: String) {
    let p = Process()
    // Under a deadline (coreutils' timeout): a program that never ends fails its test, not the whole run.
    p.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
    p.arguments = ["-k", "10", String(programLimitSeconds), "/usr/bin/env"] + args
    var e = ProcessInfo.processInfo.environment
    for (k, v) in env { e[k] = v }
    p.environment = e
    let out = Foundation.Pipe()
    p.standardOutput = out
    p.standardError = out
    let start = Date()
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    if Date().timeIntervalSince(start) >= Double(programLimitSeconds) {
        Issue.record("\(args.joined(separator: " ")) did not end within \(programLimitSeconds) s and was stopped: \(text.suffix(2000))")
    }
    return (p.terminationStatus, text)
}

/// How long a program a test runs may take (`ESTIBA_TEST_PROGRAM_LIMIT` seconds, default 600).
let programLimitSeconds: Int = ProcessInfo.processInfo.environment["ESTIBA_TEST_PROGRAM_LIMIT"].flatMap { Int($0) } ?? 600

/// Sets extended attribute `key` of the entry at `path` (not following a final link); whether it worked.
@discardableResult
func setAttribute(_ path: String, _ key: String, _ value: String) -> Bool {
    let (dir, name) = splitPath(path)
    return (try? FileDescriptor.open(dir, .directory).setExtendedAttribute(of: name, key, Array(value.utf8))) != nil
}

/// The value of extended attribute `key` of the entry at `path` (not following a final link).
func attribute(_ path: String, _ key: String) -> String? {
    let (dir, name) = splitPath(path)
    guard let all = try? FileDescriptor.open(dir, .directory).extendedAttributes(of: name),
        let value = all.first(where: { $0.name == key })?.value
    else { return nil }
    return String(decoding: value, as: UTF8.self)
}

private func splitPath(_ path: String) -> (String, String) {
    let slash = path.lastIndex(of: "/") ?? path.startIndex
    return (String(path[..<slash]), String(path[path.index(after: slash)...]))
}
