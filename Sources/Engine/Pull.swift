import ImageStore
import Registry
import System

extension Engine {
    /// Pulls `reference` (`NAME[:TAG|@sha256:…]`, normalised as Docker does) from its registry into the store,
    /// for `platform` (`os/arch[/variant]`; this machine's when nil), with credentials from the Docker and
    /// containers credential files and helpers when the registry asks for them, and the registries config's
    /// mirrors and TLS settings (`HostsConfiguration`). Progress goes to `onEvent`.
    public func pull(_ reference: String, platform: String? = nil, onEvent: @escaping PullEventHandler = { _ in })
        async throws(EstibaError) -> PullResult
    {
        let remote = try RemoteReference(parsing: reference)
        let wanted = try platform.map { (text: String) throws(EstibaError) -> PullPlatform in try PullPlatform(parsing: text) }
        // Looked up only if the registry asks for them.
        let credentials = CredentialLookup { () throws(EstibaError) -> RegistryCredentials? in
            try CredentialSources.process.credentials(domain: remote.domain, repository: remote.repository)
        }
        let hosts = try HostsConfiguration.load()
        return try await withStore { store throws(EstibaError) in
            try await Puller(store: store, reference: remote, credentials: credentials, platform: wanted, hosts: hosts).pull(onEvent: onEvent)
        }
    }

    /// Pulls every tag of the repository `name` (which names no tag or digest), one after another in tag order;
    /// `onResult` hears of each as it completes.
    public func pullAllTags(
        _ name: String, platform: String? = nil, onEvent: @escaping PullEventHandler = { _ in },
        onResult: @escaping @Sendable (PullResult) -> Void = { _ in }
    ) async throws(EstibaError) -> [PullResult] {
        guard !RemoteReference.namesTagOrDigest(name) else {
            throw EstibaError(.invalidArgument, "tag can't be used with --all-tags/-a; give the repository alone, like estiba pull -a busybox.")
        }
        let remote = try RemoteReference(parsing: name)
        let wanted = try platform.map { (text: String) throws(EstibaError) -> PullPlatform in try PullPlatform(parsing: text) }
        let credentials = CredentialLookup { () throws(EstibaError) -> RegistryCredentials? in
            try CredentialSources.process.credentials(domain: remote.domain, repository: remote.repository)
        }
        let hosts = try HostsConfiguration.load()
        return try await withStore { store throws(EstibaError) in
            let puller = Puller(store: store, reference: remote, credentials: credentials, platform: wanted, hosts: hosts)
            var results: [PullResult] = []
            for tag in try await puller.tags().sorted() {
                let result = try await puller.with(tag: tag).pull(onEvent: onEvent)
                onResult(result)
                results.append(result)
            }
            return results
        }
    }
}
