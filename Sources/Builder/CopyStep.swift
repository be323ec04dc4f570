import Dockerfile
import ImageStore
import System

/// COPY or ADD with its words expanded.
struct CopyRequest {
    var add: Bool
    /// Sources as expanded (paths, patterns, URLs), without the here-documents.
    var sources: [String]
    var heredocs: [Heredoc]
    /// The destination as expanded (relative to the working directory unless absolute).
    var destination: String
    /// `--from` as written, and expanded.
    var from: String?
    var fromReference: String?
    var chown: String?
    /// `--chmod` as written, and the mode it gives.
    var chmod: String?
    var mode: UInt32?

    var name: String { add ? "ADD" : "COPY" }
}

extension BuildRun {
    /// COPY and ADD: the sources are resolved (context, `--from` stage or image, downloads), hashed by content for
    /// the cache key, and planned (destination, history); they are copied only when the cache does not serve
    /// the step.
    func copyStep(_ node: Node, _ arguments: CopyArguments, _ state: inout StageState, add: Bool) async throws(EstibaError) {
        let request = try expandCopy(node, arguments, state: &state, add: add)
        guard let sources = try await resolveSources(node, request, state: state) else {
            // A dry run whose `--from` stage would be rebuilt: its files are unknown.
            report(
                node: node, stage: state.index, cached: false, reason: "stage \(request.fromReference ?? "") rebuilt", image: nil,
                layerSize: 0, started: Clocks.monotonicSeconds, createdBy: nil)
            state.parentKey = nil
            state.rebuilt = true
            return
        }
        defer { sources.release() }
        let hash = try hashSources(sources)
        let plan = try planCopy(node, request, sources: sources, hash: hash, workingDir: state.config.config.workingDir, shell: state.shell)
        try await commit(
            node, &state, instruction: plan.instruction, createdBy: plan.createdBy, sources: hash, change: { _ in },
            work: .filesystem({ root, _ throws(EstibaError) in try self.applyCopy(plan, sources, root: root, node: node) }))
    }

    /// Expands the words of a COPY or ADD and checks what can be checked before any file is read.
    func expandCopy(_ node: Node, _ arguments: CopyArguments, state: inout StageState, add: Bool) throws(EstibaError) -> CopyRequest {
        let env = node.original.contains("$") ? state.expansionEnvironment() : [:]
        let destination = try expand(arguments.destination, env: env, node: node)
        let chown = try arguments.chown.map { c throws(EstibaError) in try expand(c, env: env, node: node) }
        var mode: UInt32?
        if let c = arguments.chmod {
            let text = try expand(c, env: env, node: node)
            do { mode = try FileModes.parse(text) } catch { throw self.error(node, .syntax, error.message) }
        }
        var sources: [String] = []
        for w in arguments.sources { sources.append(try expand(w, env: env, node: node)) }
        if let url = sources.first(where: { Self.isURL($0) || $0.hasPrefix("git@") }) {
            if !add { throw error(node, .syntax, "COPY cannot copy from a URL (\(url)); use ADD, or download it into the build context.") }
            if !Self.isURL(url) { throw error(node, .invalidArgument, "ADD from git (\(url)) is not supported; clone the repository into the build context and ADD it from there.") }
        }
        let fromReference = try arguments.from.map { f throws(EstibaError) in try expand(f, env: env, node: node) }
        return CopyRequest(
            add: add, sources: sources, heredocs: arguments.heredocs, destination: destination, from: arguments.from,
            fromReference: fromReference, chown: chown, chmod: arguments.chmod, mode: mode)
    }

    static func isURL(_ s: String) -> Bool { s.hasPrefix("http://") || s.hasPrefix("https://") }
}
