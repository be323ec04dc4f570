import Glibc

/// What /proc/self tells of this process: the path behind a descriptor, the executable, the open descriptors.
extension FileDescriptor {
    /// The path the kernel gives for this descriptor (`/proc/self/fd/N`): where the file is now, even when it
    /// was renamed since it was opened.
    public func resolvedPath() throws(EstibaError) -> String {
        do { return try Files.readLink(procPath) } catch {
            throw error.retold(operation: "find the path of", path: path ?? procPath)
        }
    }

    /// `/proc/self/fd/N`: a path that reaches exactly this open file (for calls that take only paths).
    public var procPath: String { "/proc/self/fd/\(rawValue)" }
}

extension Processes {
    /// The path of this process's executable.
    public static func executablePath() throws(EstibaError) -> String { try Files.readLink("/proc/self/exe") }

    /// `path` from the root: as it is when absolute, else under this process's working directory.
    public static func absolutePath(_ path: String) -> String {
        guard !path.hasPrefix("/"), let cwd = try? Files.readLink("/proc/self/cwd") else { return path }
        return cwd == "/" ? "/" + path : cwd + "/" + path
    }

    /// The descriptors this process has open, in order.
    public static func openDescriptors() throws(EstibaError) -> [Int32] {
        let directory = try FileDescriptor.open("/proc/self/fd", .directory)
        let own = directory.rawValue
        return try directory.entries().compactMap { Int32($0.name) }.filter { $0 != own }.sorted()
    }
}
