import System

/// What the store does when it is opened: a cheap pass that ends the leases of dead processes and clears the
/// `tmp/` entries no live operation holds (what a killed import, build or load left). It runs only when no other
/// work holds the store's locks at that moment (it never waits); a later open or collection does it otherwise.
enum StoreRecovery {
    static func run(_ layout: StoreLayout) {
        guard let content = try? layout.openLock(layout.contentLock) else { return }
        defer { content.close() }
        guard (try? content.lock(exclusive: true, wait: false)) == true else { return }
        guard let index = try? layout.openLock(layout.indexLock) else { return }
        defer { index.close() }
        guard (try? index.lock(exclusive: true, wait: false)) == true else { return }
        var leased: Set<String> = []
        for case .scratch(let name) in StoreLease.liveObjects(layout) { leased.insert(name) }
        sweepScratch(layout, keeping: leased)
    }

    /// Removes the entries of `tmp/` no live process holds: neither a scratch directory whose lock is held nor an
    /// entry a live lease names. What a killed process left mounted there is detached first; nothing is ever
    /// removed through a mount. Call it with the content and index locks held exclusively.
    static func sweepScratch(_ layout: StoreLayout, keeping leased: Set<String>) {
        guard let tmp = try? FileDescriptor.open(layout.tmp, .directory) else { return }
        for name in (try? tmp.names()) ?? [] where !leased.contains(name) && !ScratchDirectory.isHeld(tmp, name) {
            guard ScratchDirectory.unmountAll(under: layout.tmp + "/" + name) else { continue }
            try? tmp.removeTree(name)
        }
    }
}
