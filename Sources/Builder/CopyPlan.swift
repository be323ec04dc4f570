import System
import Dockerfile

/// Where a COPY or ADD puts its sources, with which owner and mode, and how the cache and history name it.
struct CopyPlan {
    var add: Bool
    /// Absolute; ends with `/` when it must be a directory.
    var destination: String
    var chown: String?
    var mode: UInt32?
    /// The instruction as the cache records it (sources as given, destination resolved).
    var instruction: String
    /// The history's `created_by`.
    var createdBy: String

    var destinationIsDirectory: Bool { destination.hasSuffix("/") }
}

extension BuildRun {
    /// Resolves the destination against the working directory, checks it can take the sources, and names the
    /// step for the cache and history.
    func planCopy(
        _ node: Node, _ request: CopyRequest, sources: CopySources, hash: StepSources, workingDir: String?, shell: [String]
    ) throws(EstibaError) -> CopyPlan {
        var destination = request.destination
        if !destination.hasPrefix("/") {
            let keepSlash = destination.hasSuffix("/") || destination == "." || destination.hasSuffix("/.")
            destination = PathClean.clean((workingDir ?? "/") + "/" + destination) + (keepSlash ? "/" : "")
        }
        if sources.count > 1, !destination.hasSuffix("/") {
            throw error(node, .syntax, "When using \(request.name) with more than one source file, the destination must be a directory and end with a /.")
        }
        // Docker 20.10 writes no space between the --chown value and the digest; history matches it.
        let chownText = request.chown.map { "--chown=\($0)" } ?? ""
        let createdBy = (shell + ["#(nop) \(request.name) \(chownText)\(hash.digest) in \(destination) "]).joined(separator: " ")
        var flagText = ""
        if let from = request.from { flagText += "--from=\(from) " }
        if let chown = request.chown { flagText += "--chown=\(chown) " }
        if let c = request.chmod { flagText += "--chmod=\(c) " }
        let named = (request.sources + request.heredocs.map { "<<" + $0.name }).joined(separator: " ")
        return CopyPlan(
            add: request.add, destination: destination, chown: request.chown, mode: request.mode,
            instruction: "\(request.name) \(flagText)\(named) \(destination)", createdBy: createdBy)
    }
}
