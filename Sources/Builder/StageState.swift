import ImageStore

/// A stage as it is being built: the image so far and what later instructions see.
struct StageState {
    var index: Int
    var name: String?
    /// The current image's config (what the next step starts from).
    var config: ImageConfig
    /// The current image; nil on `FROM scratch` before any step, and in a dry run after a step that would run.
    var image: ImageRecord?
    /// A cached step's image not loaded yet (its manifest): steps served by the cache only need its ID, so the
    /// image is read when a step must run on it, or when the stage ends.
    var pendingManifest: Digest?
    /// What cache keys use for the parent: the current image ID, `scratch`, or nil when unknown (dry run).
    var parentKey: String?
    /// A step of this stage missed the cache (so every later one runs too).
    var rebuilt = false
    /// No step of this stage has run yet (a miss there may be a changed base image).
    var firstStep = true
    /// ARGs declared in this stage, in order, with their values (nil: declared without a value).
    var args: [(name: String, value: String?)] = []
    /// CMD was set in this stage (an ENTRYPOINT then keeps it).
    var cmdSet = false

    var shell: [String] { config.config.shell ?? ConfigApplier.defaultShell }

    /// ENV values by name as `config.config.env` holds them (the last entry of a name wins), kept up to date by
    /// ENV steps so that a step does not re-read the whole environment; nil until first needed.
    var envValues: [String: String]?
    /// The length of `config.config.env` that `envValues` describes (a cheap check that it still fits).
    var envValuesCount = 0

    /// The environment by name, read from the config only when it changed other than through an ENV step.
    mutating func environmentValues() -> [String: String] {
        if let v = envValues, envValuesCount == config.config.env.count { return v }
        let values = ConfigApplier.values(of: config.config.env)
        envValues = values
        envValuesCount = config.config.env.count
        return values
    }

    /// Variables instructions expand with: ARG values, then ENV (ENV wins).
    mutating func expansionEnvironment() -> [String: String] {
        var env = environmentValues()
        for a in args where env[a.name] == nil { if let v = a.value { env[a.name] = v } }
        return env
    }

    /// Build args a RUN sees (declared, with a value, not shadowed by ENV), sorted as `K=v`.
    var runArgs: [(String, String)] {
        let envKeys = Set(config.config.env.map { String($0.split(separator: "=", maxSplits: 1)[0]) })
        var seen: [String: String] = [:]
        for a in args where !envKeys.contains(a.name) { if let v = a.value { seen[a.name] = v } }
        return seen.sorted { "\($0.key)=\($0.value)" < "\($1.key)=\($1.value)" }.map { ($0.key, $0.value) }
    }
}
