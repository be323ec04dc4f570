import Glibc

/// A file replaced all at once: written under a temporary name in the target's directory (or in another
/// directory of the same file system), flushed, renamed over the target, and the directory flushed. Until
/// `commit()` the target keeps its old content, so a failed or abandoned write never replaces good data; an
/// uncommitted temporary file is removed when the object goes.
public final class AtomicFile {
    /// Where to write the new content.
    public let descriptor: FileDescriptor
    /// The target, for messages.
    public let path: String
    private let targetDirectory: FileDescriptor
    private let targetName: String
    private let stagingDirectory: FileDescriptor
    private let stagingName: String
    private let permissions: UInt32
    private var finished = false

    /// Prepares to replace `name` in `directory`; `staging` (default: `directory`) holds the temporary file.
    public init(
        name: String, in directory: FileDescriptor, staging: FileDescriptor? = nil, permissions: UInt32 = 0o644
    ) throws(EstibaError) {
        targetDirectory = directory
        targetName = name
        path = directory.entryPath(name)
        stagingDirectory = staging ?? directory
        self.permissions = permissions
        (descriptor, stagingName) = try Self.createStagingFile(in: stagingDirectory)
    }

    /// A new file under a random hidden name.
    private static func createStagingFile(in directory: FileDescriptor) throws(EstibaError) -> (FileDescriptor, String) {
        var attempt = 0
        while true {
            let name = ".tmp-" + String(UInt64.random(in: .min ... .max), radix: 16)
            do {
                return (try directory.open(name, [.writeOnly, .create, .exclusive, .noFollow], permissions: 0o600), name)
            } catch {
                attempt += 1
                if !error.isAlreadyExisting || attempt >= 16 { throw error }
            }
        }
    }

    /// Prepares to replace the file at `path`; `stagingDirectory` (default: the file's own directory, which
    /// must be on the same file system) holds the temporary file.
    public convenience init(path: String, stagingDirectory: String? = nil, permissions: UInt32 = 0o644) throws(EstibaError) {
        let (parent, name) = try Files.split(path, operation: "write")
        let directory = try FileDescriptor.open(parent, [.directory])
        let staging = try stagingDirectory.map { (p) throws(EstibaError) in try FileDescriptor.open(p, [.directory]) }
        try self.init(name: name, in: directory, staging: staging, permissions: permissions)
    }

    deinit { discard() }

    /// Puts the written content in place: permissions, flush, rename over the target, flush of the directory.
    /// On failure the temporary file is removed and the target is unchanged. With `durable` false the two
    /// flushes are left out: readers still never see a torn file, but a crash may lose the new content (for
    /// state that is made again when missing, such as a container's bundle files or a build-cache record).
    public func commit(durable: Bool = true) throws(EstibaError) {
        guard !finished else { return }
        do {
            try descriptor.setPermissions(permissions)
            if durable { try descriptor.sync() }
            try stagingDirectory.rename(stagingName, to: targetName, in: targetDirectory)
        } catch {
            discard()
            throw error
        }
        finished = true
        descriptor.close()
        if durable { try targetDirectory.sync() }
    }

    /// Abandons the new content (the target keeps its old one).
    public func discard() {
        guard !finished else { return }
        finished = true
        descriptor.close()
        try? stagingDirectory.removeEntry(stagingName)
    }

    /// Replaces the file at `path` with `bytes`, atomically and durably.
    public static func write(
        _ bytes: [UInt8], to path: String, stagingDirectory: String? = nil, permissions: UInt32 = 0o644, durable: Bool = true
    ) throws(EstibaError) {
        let file = try AtomicFile(path: path, stagingDirectory: stagingDirectory, permissions: permissions)
        try file.descriptor.writeAll(bytes)
        try file.commit(durable: durable)
    }

    /// Replaces `name` in `directory` with `bytes`, atomically and durably.
    public static func write(_ bytes: [UInt8], name: String, in directory: FileDescriptor, permissions: UInt32 = 0o644) throws(EstibaError) {
        let file = try AtomicFile(name: name, in: directory, permissions: permissions)
        try file.descriptor.writeAll(bytes)
        try file.commit()
    }
}
