import Engine

/// What `builder prune`, `system prune` and `system df` print about the build cache, in Docker's shape.
public enum BuildCacheOutput {
    /// `Deleted build cache objects:`, one ID a line, then a blank line; nothing when none was deleted.
    public static func deleted(_ entries: [BuildCacheEntry]) -> String {
        guard !entries.isEmpty else { return "" }
        return "Deleted build cache objects:\n" + entries.map { $0.id.hex + "\n" }.joined() + "\n"
    }

    /// `Total reclaimed space: 1.2MB`.
    public static func reclaimed(_ bytes: Int64) -> String { "Total reclaimed space: \(DockerFormat.humanSize(bytes))\n" }

    /// `system df`'s section: the total size, then one row a step (IN USE: an image in use was built from it;
    /// the others are what `builder prune` removes).
    public static func usage(_ entries: [BuildCacheEntry], now: Timestamp? = nil) -> String {
        var rows: [[String]] = [["CACHE ID", "CACHE TYPE", "SIZE", "CREATED", "IN USE"]]
        for e in entries {
            rows.append([
                e.id.short, "regular", DockerFormat.humanSize(e.size), DockerFormat.createdSince(Timestamp(seconds: e.created), now: now),
                e.inUse ? "true" : "false",
            ])
        }
        let total = entries.reduce(Int64(0)) { $0 + $1.size }
        return "Build cache usage: \(DockerFormat.humanSize(total))\n\n" + DockerFormat.table(rows)
    }
}
