import System

/// Archive entries below a tree that no entry may escape: opened as System's `RootedDirectory` with
/// `.refuseLinks`, whose refusals become the store's unsafe-entry errors.
extension RootedDirectory {
    /// Opens the directory at `path` as a root nothing below may leave through `..` or a symbolic link.
    static func refusingLinks(_ path: String) throws(EstibaError) -> RootedDirectory {
        do { return try RootedDirectory(path: path, resolution: .refuseLinks) } catch {
            throw EstibaError.io("Cannot open directory", path, error)
        }
    }

    /// Opens the directory `dir` of archive entry `entry`, making missing directories (0755) when `create`. A
    /// component that is a symbolic link or not a directory refuses the entry.
    func openDirectory(_ dir: EntryPath, create: Bool, entry: String) throws(EstibaError) -> FileDescriptor {
        do { return try openDirectory(dir.description, create: create) } catch {
            if error.isEscape || error.isNotDirectory {
                throw EstibaError.unsafe(entry, "its parent \"\(dir)\" is a symbolic link or not a directory")
            }
            if error.isNotFound { throw EstibaError(.notFound, "Entry \(entry): \(dir) does not exist.", context: ["entry": entry]) }
            throw error
        }
    }
}
