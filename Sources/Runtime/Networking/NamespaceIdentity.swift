import System

/// Which network namespace a `/proc/PID/ns/net` path leads to (its nsfs device and inode), so that a namespace is
/// only ever configured while it is the container's: never the host's, never one whose pid was reused.
public struct NamespaceIdentity: Sendable, Equatable, CustomStringConvertible {
    let device: UInt64
    let inode: UInt64

    /// The namespace `path` leads to now; nil when there is none (the process has ended).
    public init?(path: String) {
        guard let status = try? Files.status(path) else { return nil }
        device = status.device
        inode = status.inode
    }

    /// "DEVICE:INODE", as recorded.
    public init?(_ text: String) {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let d = UInt64(parts[0]), let i = UInt64(parts[1]) else { return nil }
        device = d
        inode = i
    }

    public var description: String { "\(device):\(inode)" }

    /// Whether `path` leads to the host's namespace: this process's own, or init's (when init lets it be read).
    public static func isHosts(_ path: String) -> Bool {
        guard let target = NamespaceIdentity(path: path) else { return false }
        return [NamespaceIdentity(path: "/proc/1/ns/net"), NamespaceIdentity(path: "/proc/self/ns/net")].contains(target)
    }
}
