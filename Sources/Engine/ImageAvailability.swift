import Builder
import ImageStore
import Registry
import System

/// When `run`, `create` and builds pull the images they name (`--pull missing|always|never`).
public typealias PullPolicy = Builder::PullPolicy

/// What fetching the image of a `run`, `create` or build step reports, in order.
public enum ImagePullEvent: Sendable {
    /// The store lacks the image, so it is pulled: `reference` as Docker shows it (`busybox:latest`).
    case missingLocally(reference: String)
    /// The pull's progress.
    case progress(PullEvent)
    /// The pull ended (downloaded, or already up to date).
    case pulled(PullResult)
}

public typealias ImagePullHandler = @Sendable (ImagePullEvent) -> Void

extension Engine {
    /// The image `spec` names, pulled first as `policy` says: missing — when the store lacks it; always — every
    /// time; never — not at all. Returns a spec that names it in the store: `spec` itself, or the pulled image's
    /// ID. An image ID is never pulled. `platform` (`os/arch[/variant]`) is what a pull asks for.
    public func availableImage(
        _ spec: String, policy: PullPolicy, platform: String? = nil, onEvent: ImagePullHandler? = nil
    ) async throws(EstibaError) -> String {
        let namesID = Self.namesImageID(spec)
        if policy != .always || namesID {
            do {
                _ = try await inspectImage(spec)
                return spec
            } catch {
                guard error.code == .notFound, !namesID else { throw error }
                if policy == .never {
                    throw EstibaError(
                        .notFound, "No such image: \(spec). Pull it first (estiba pull \(spec)), or let it be pulled when missing (--pull missing).",
                        context: ["image": spec])
                }
                // A name no registry could hold is simply not here.
                guard (try? RemoteReference(parsing: spec)) != nil else { throw error }
            }
        }
        let remote = try RemoteReference(parsing: spec)
        if policy == .missing { onEvent?(.missingLocally(reference: Self.shown(remote))) }
        let result: PullResult
        do {
            result = try await pull(spec, platform: platform) { event in onEvent?(.progress(event)) }
        } catch {
            throw Self.pullFailure(error, remote, policy: policy)
        }
        onEvent?(.pulled(result))
        return result.image.id.description
    }

    /// `busybox:latest`, `example.com:5000/app@sha256:…`: the reference as Docker's messages show it.
    static func shown(_ r: RemoteReference) -> String {
        r.familiarName + (r.digest.map { "@" + $0.description } ?? r.tag.map { ":" + $0 } ?? "")
    }

    /// Whether `spec` is an image ID (`sha256:…`, or 64 hexadecimal digits), which no registry serves by name.
    static func namesImageID(_ spec: String) -> Bool {
        let hex = spec.hasPrefix("sha256:") ? spec.dropFirst(7) : Substring(spec)
        guard spec.hasPrefix("sha256:") || hex.utf8.count == 64 else { return false }
        return !hex.isEmpty && hex.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    /// A failed pull as `run` and `create` tell it (Docker's words where it has some).
    static func pullFailure(_ error: EstibaError, _ remote: RemoteReference, policy: PullPolicy) -> EstibaError {
        let shown = Self.shown(remote)
        switch error.code {
        case .failedPrecondition where error.context["repository"] != nil:
            // What a registry answers for a repository that does not exist, or that needs credentials (401/403).
            return EstibaError(
                .failedPrecondition,
                "pull access denied for \(remote.familiarName), repository does not exist or may require 'estiba login': \(error.message)",
                context: error.context.merging(["image": shown]) { own, _ in own }, cause: error)
        case .unavailable where policy == .always:
            return EstibaError(
                .unavailable, "Cannot pull \(shown) (--pull always pulls every time): \(error.message) Use --pull missing to use the image in the store.",
                context: error.context.merging(["image": shown]) { own, _ in own }, cause: error)
        default:
            return error.adding(["image": shown])
        }
    }
}

/// The engine's `BuildImageSource`: pulls through `Engine.pull`, reporting each pull's events with its step.
struct PullingImageSource: BuildImageSource {
    let engine: Engine
    let onEvent: (@Sendable (_ step: Int, ImagePullEvent) -> Void)?

    func fetch(_ reference: String, platform: String?, step: Int) async throws(EstibaError) -> String {
        // An image ID names an image in the store, or none.
        if Engine.namesImageID(reference) { return try await engine.inspectImage(reference).id.description }
        let remote = try RemoteReference(parsing: reference)
        let report = onEvent
        let result: PullResult
        do {
            result = try await engine.pull(reference, platform: platform) { event in report?(step, .progress(event)) }
        } catch {
            throw Engine.pullFailure(error, remote, policy: .missing)
        }
        report?(step, .pulled(result))
        return result.image.id.description
    }
}
