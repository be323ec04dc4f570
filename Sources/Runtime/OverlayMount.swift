import System

/// How an overlay file system is mounted: its lower directories (top first) and, when it is writable, its upper
/// and work directories. Without an upper directory it is a read-only view of the lower ones.
public struct OverlayMount: Sendable, Equatable {
    public var lowers: [String]
    public var upper: String?
    public var work: String?

    public init(lowers: [String], upper: String? = nil, work: String? = nil) {
        self.lowers = lowers
        self.upper = upper
        self.work = work
    }

    /// The mount's data: `lowerdir=…[,upperdir=…,workdir=…]`.
    public var options: String {
        var text = "lowerdir=" + lowers.joined(separator: ":")
        if let upper, let work { text += ",upperdir=\(upper),workdir=\(work)" }
        return text
    }

    /// Mounts it on `target` in this process's mount namespace (read-only when it has no upper directory).
    public func mount(on target: String) throws(EstibaError) {
        do { try Mounts.mount("overlay", on: target, type: "overlay", options: options, readOnly: upper == nil) } catch {
            throw EstibaError.runtime(cannot: "mount the overlay root on \(target)", error, stage: "mount the overlay root")
        }
    }
}
