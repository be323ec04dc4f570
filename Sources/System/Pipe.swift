import Glibc

/// A pipe: bytes written to `writeEnd` are read from `readEnd`. Both ends are close-on-exec; hand one to a
/// child by duplicating it onto the child's descriptor (`Spawn`, the launcher).
public struct Pipe: Sendable {
    public let readEnd: FileDescriptor
    public let writeEnd: FileDescriptor

    public init() throws(EstibaError) {
        var fds: [Int32] = [-1, -1]
        // pipe2 needs _GNU_SOURCE, which Swift's Glibc module does not define: close-on-exec is set right after.
        guard pipe(&fds) == 0 else { throw .last("create a pipe") }
        readEnd = FileDescriptor(adopting: fds[0], path: "pipe")
        writeEnd = FileDescriptor(adopting: fds[1], path: "pipe")
        try readEnd.setInheritable(false)
        try writeEnd.setInheritable(false)
    }
}
