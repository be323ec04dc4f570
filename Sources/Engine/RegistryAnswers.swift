import ImageStore
import Registry
import Synchronization
import System

/// What registries said, lately, of images the store lacks: whether an editor's `FROM` could be pulled. Asked
/// once per reference in a while (ten minutes; a minute when the registry could not be reached), for the whole
/// process.
enum RegistryAnswer: Sendable, Equatable {
    case pullable
    /// The registry does not have it (the reason in the client's words).
    case missing(String)
    /// The registry refused to say (it wants credentials, or the repository is private or absent).
    case denied(String)
    /// The registry could not be asked (offline, down, a TLS problem).
    case unreachable(String)

    var lifetime: UInt64 {
        if case .unreachable = self { return 60_000_000_000 }
        return 600_000_000_000
    }
}

enum RegistryAnswers {
    private static let known = Mutex<[String: (answer: RegistryAnswer, at: UInt64)]>([:])

    /// The answer for `reference` while it is fresh.
    static func answer(_ reference: String) -> RegistryAnswer? {
        let now = Clocks.monotonicNanoseconds
        return known.withLock { all in
            guard let entry = all[reference], now &- entry.at < entry.answer.lifetime else { return nil }
            return entry.answer
        }
    }

    static func remember(_ answer: RegistryAnswer, for reference: String) {
        let now = Clocks.monotonicNanoseconds
        known.withLock { $0[reference] = (answer, now) }
    }
}

extension Engine {
    /// Asks the registries of the `FROM` images of `text` that the store lacks, and that were not asked lately,
    /// whether they have them (at most four at once); whether anything was learnt (the editor's diagnostics may
    /// then say more). A reference with a variable, a stage name and `scratch` are never asked.
    public func askRegistries(aboutImagesOf text: String) async -> Bool {
        let query = Self.query(text)
        var wanted: [(String, String?)] = []
        for stage in Self.imageStages(query) {
            let image = stage.baseImage
            guard RegistryAnswers.answer(image) == nil, !wanted.contains(where: { $0.0 == image }) else { continue }
            if (try? await inspectImage(image)) != nil { continue }
            wanted.append((image, stage.platform.flatMap { $0.contains("$") ? nil : $0 }))
        }
        guard !wanted.isEmpty, let store = try? store() else { return false }
        await withTaskGroup(of: Void.self) { group in
            var running = 0
            for (image, platform) in wanted {
                if running == 4 {
                    await group.next()
                    running -= 1
                }
                group.addTask { RegistryAnswers.remember(await Self.ask(image, platform: platform, store: store), for: image) }
                running += 1
            }
        }
        return true
    }

    /// One registry's answer about `image`.
    static func ask(_ image: String, platform: String?, store: ImageStore) async -> RegistryAnswer {
        do throws(EstibaError) {
            let remote = try RemoteReference(parsing: image)
            let credentials = CredentialLookup { () throws(EstibaError) -> RegistryCredentials? in
                try CredentialSources.process.credentials(domain: remote.domain, repository: remote.repository)
            }
            let wanted = try platform.map { (text: String) throws(EstibaError) -> PullPlatform in try PullPlatform(parsing: text) }
            _ = try await Puller(store: store, reference: remote, credentials: credentials, platform: wanted).probe()
            return .pullable
        } catch {
            switch error.code {
            case .notFound, .invalidArgument: return .missing(error.message)
            case .failedPrecondition: return .denied(error.message)
            default: return .unreachable(error.message)
            }
        }
    }
}
