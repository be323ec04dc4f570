/// FNV-1a, 64 bits: a short name that is the same in every process for the same bytes (cache file and cgroup
/// names; never a security check).
func stableHash<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes { hash = (hash ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return String(hash, radix: 16)
}
