import System
import ImageStore

extension BuildRun {
    /// The cache key material of a COPY or ADD: each source's content digest in order (a download by its bare
    /// digest, as Docker names it), then each here-document's, combined like Docker; and every file's digest,
    /// so that a miss can name the files that changed.
    func hashSources(_ sources: CopySources) throws(EstibaError) -> StepSources {
        var hashes: [String] = []
        var files: [(String, String)] = []
        for s in sources.items {
            guard let url = s.url else {
                hashes.append(try builder.hasher.source(s.tree, s.path, files: &files))
                continue
            }
            var urlFiles: [(String, String)] = []
            let digest = try builder.hasher.source(s.tree, s.path, files: &urlFiles)
            hashes.append(digest.hasPrefix("file:") ? String(digest.dropFirst(5)) : digest)
            files += urlFiles.map { (url, $0.1) }
        }
        for h in sources.heredocs {
            let digest = Digest.of(h.content).hex
            hashes.append("file:" + digest)
            files.append(("<<" + h.name, digest))
        }
        return StepSources(digest: SourceHasher.combine(hashes), files: files)
    }
}
