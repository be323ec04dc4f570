import System

/// A writable snapshot on a chain of parent layers (containerd's active snapshot, what `Prepare` makes): the
/// parents as overlay lower directories, a writable upper directory and overlayfs's work directory beside it.
/// Containers and build steps both run on one; the upper directory is what a commit turns into a layer.
public struct ActiveSnapshot: Sendable, Equatable {
    /// The parent layers' directories, top first.
    public let parents: [String]
    /// Where the upper and work directories are.
    public let directory: String

    public var upper: String { directory + "/upper" }
    public var work: String { directory + "/work" }
    /// How its root is mounted.
    public var mount: OverlayMount { OverlayMount(lowers: parents, upper: upper, work: work) }

    /// The snapshot whose directories are already in `directory`.
    public init(directory: String, parents: [String]) {
        self.directory = directory
        self.parents = parents
    }

    /// Makes a new snapshot's upper and work directories in the existing `directory`.
    public static func prepare(in directory: String, parents: [String]) throws(EstibaError) -> ActiveSnapshot {
        let snapshot = ActiveSnapshot(directory: directory, parents: parents)
        // The upper directory's mode is the mounted root's.
        for (path, mode) in [(snapshot.upper, UInt32(0o755)), (snapshot.work, 0o700)] {
            do { try Files.makeDirectory(path, permissions: mode) } catch {
                throw EstibaError.runtime(cannot: "create \(path)", error, stage: "prepare the snapshot")
            }
            try? Files.setPermissions(path, mode)
        }
        return snapshot
    }
}
