/// A new file whose name is known only once it is written (a blob named by the digest of its bytes): written
/// under a temporary name in a staging directory, then put in place by `commit(to:)` — flushed, renamed over
/// the target, the target's directory flushed. Until then nothing is in place, and a file never committed is
/// removed when the object goes. For a file whose name is known up front, use `AtomicFile`.
public final class StagedFile {
    /// The open file (written by the caller; read-only for an adopted file).
    public let descriptor: FileDescriptor
    /// Where the file is until it is committed.
    public let path: String
    private var settled = false

    /// A new empty file (mode 0600) in `stagingDirectory`, which must be on the target's file system.
    public init(stagingDirectory: String) throws(EstibaError) {
        (descriptor, path) = try Files.makeTemporaryFile(in: stagingDirectory, prefix: "tmp-")
    }

    /// Takes over the existing file at `path` (one unpacked into staging space): it is moved by `commit`, or
    /// removed when the object goes.
    public init(adopting path: String) throws(EstibaError) {
        descriptor = try FileDescriptor.open(path, .noFollow)
        self.path = path
    }

    deinit { discard() }

    /// Moves the file to `target` durably with `permissions`, replacing what is there. On failure the file is
    /// removed and `target` is unchanged.
    public func commit(to target: String, permissions: UInt32 = 0o644) throws(EstibaError) {
        guard !settled else { return }
        let (parent, _) = try Files.split(target, operation: "write")
        do {
            try descriptor.setPermissions(permissions)
            try descriptor.sync()
            try Files.rename(path, to: target)
        } catch {
            discard()
            throw error
        }
        settled = true
        descriptor.close()
        try FileDescriptor.open(parent, .directory).sync()
    }

    /// Removes the file (unless it was committed).
    public func discard() {
        guard !settled else { return }
        settled = true
        descriptor.close()
        try? Files.remove(path)
    }
}
