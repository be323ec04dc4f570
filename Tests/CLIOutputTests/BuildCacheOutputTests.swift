import CLIOutput
import Engine
import Testing

/// The build cache in Docker's shapes: the deleted objects and reclaimed space of a prune, and `system df`'s
/// section.
@Suite struct BuildCacheOutputTests {
    func entry(_ n: Int, size: Int64, inUse: Bool) -> BuildCacheEntry {
        BuildCacheEntry(
            id: Digest.of("step \(n)"), image: Digest.of("image \(n)"), instruction: "RUN step \(n)", created: 1_700_000_000 + Int64(n),
            size: size, inUse: inUse)
    }

    @Test func aPruneListsFullIDsThenABlankLineAndTheSpace() throws {
        let removed = [entry(1, size: 10, inUse: false), entry(2, size: 0, inUse: false)]
        #expect(BuildCacheOutput.deleted([]) == "")
        #expect(BuildCacheOutput.deleted(removed) + BuildCacheOutput.reclaimed(1_500_000)
            == "Deleted build cache objects:\n\(removed[0].id.hex)\n\(removed[1].id.hex)\n\nTotal reclaimed space: 1.5MB\n")
    }

    @Test func diskUsageShowsTheTotalAndOneRowAStep() throws {
        let now = Timestamp(seconds: 1_700_000_000 + 7200)
        let text = BuildCacheOutput.usage([entry(1, size: 300_000, inUse: false), entry(2, size: 3, inUse: true)], now: now)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[0] == "Build cache usage: 300kB" && lines[1].isEmpty)
        #expect(lines[2] == "CACHE ID       CACHE TYPE   SIZE      CREATED       IN USE")
        #expect(lines[3] == "\(Digest.of("step 1").short)   regular      300kB     2 hours ago   false")
        #expect(lines[4].hasSuffix("   true") && lines[4].hasPrefix(Digest.of("step 2").short))
    }
}
