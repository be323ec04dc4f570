import CLauncher
import Glibc

/// `estiba-entry`, the small static program that executes every container command. The launcher executes it
/// through a descriptor opened once per process: a private read-only mount of the file (or a sealed copy in
/// memory), so a container never reaches the host's `estiba` binary through `/proc/self/exe` and cannot change
/// the program the next container runs.
enum EntryProgram {
    static let name = "estiba-entry"

    /// The descriptor, or why there is none.
    static let descriptor: Result<Int32, RuntimeError> = {
        guard let path = locate() else {
            return .failure(RuntimeError(
                "Cannot find \(name) beside the estiba binary; build the package again (swift build) or install \(name) next to estiba.",
                stage: "start estiba-entry"))
        }
        let fd = path.withCString { estiba_open_entry($0, 0) }
        guard fd >= 0 else {
            return .failure(RuntimeError("Cannot open \(path): \(String(cString: strerror(-fd))).", stage: "start estiba-entry"))
        }
        return .success(fd)
    }()

    /// Beside the running executable, or in ../libexec/estiba.
    static func locate() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let exe = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard let slash = exe.lastIndex(of: "/") else { return nil }
        let dir = String(exe[..<slash])
        for candidate in [dir + "/" + name, dir + "/../libexec/estiba/" + name] {
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
