import Dockerfile
import EstibaJSON
import ImageStore

/// What a metadata instruction sets in an image's config, its words expanded and checked (see `ConfigApplier`).
enum ConfigChange: Equatable {
    case env([KeyValue])
    case label([KeyValue])
    /// The ports as expanded, and the config keys they name (`80/tcp`).
    case expose(ports: [String], keys: [String])
    case volume([String])
    case user(String)
    case stopSignal(String)
    /// An absolute, clean directory.
    case workdir(String)
    case shell([String])
    case cmd([String])
    /// `keepsCmd`: a CMD was set before, so the ENTRYPOINT does not reset it.
    case entrypoint([String], keepsCmd: Bool)
    case onbuild(String)
    case healthcheck(HealthcheckArguments)
    case maintainer(String)

    /// The instruction as the build cache and history record it (`EXPOSE 80/tcp`, `CMD ["sh"]`).
    var text: String {
        switch self {
        case .env(let pairs): "ENV " + Self.joined(pairs)
        case .label(let pairs): "LABEL " + Self.joined(pairs)
        case .expose(let ports, _): "EXPOSE " + ports.sorted().joined(separator: " ")
        case .volume(let volumes): "VOLUME " + GoFormat.list(volumes)
        case .user(let user): "USER " + user
        case .stopSignal(let signal): "STOPSIGNAL " + signal
        case .workdir(let dir): "WORKDIR " + dir
        case .shell(let words): "SHELL " + GoFormat.quoteList(words)
        case .cmd(let command): "CMD " + GoFormat.quoteList(command)
        case .entrypoint(let command, _): "ENTRYPOINT " + GoFormat.quoteList(command)
        case .onbuild(let expression): "ONBUILD " + expression
        case .healthcheck(let h):
            "HEALTHCHECK &{\(GoFormat.quoteList(h.test)) \(GoFormat.quote(GoFormat.duration(h.interval))) "
                + "\(GoFormat.quote(GoFormat.duration(h.timeout))) \(GoFormat.quote(GoFormat.duration(h.startPeriod))) "
                + "\(GoFormat.quoteRune(h.retries))}"
        case .maintainer(let name): "MAINTAINER " + name
        }
    }

    private static func joined(_ pairs: [KeyValue]) -> String { pairs.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }

    /// Applies the change to an image's config (MAINTAINER sets its author; the rest its run-time config).
    func apply(to image: inout ImageConfig, isSet: (String) -> Bool = { _ in true }) {
        if case .maintainer(let name) = self {
            image.author = name
        } else {
            apply(to: &image.config, isSet: isSet)
        }
    }

    /// Applies the change to a run-time config. `isSet` says whether ENV already holds a name (the builder
    /// keeps a table of them so that a step need not scan the whole environment); when in doubt, true.
    func apply(to c: inout ContainerConfig, isSet: (String) -> Bool = { _ in true }) {
        switch self {
        case .env(let pairs):
            // A name already set moves to the end with its new value.
            var added: Set<String> = []
            for p in pairs {
                if isSet(p.key) || added.contains(p.key) {
                    let prefix = p.key + "="
                    c.env.removeAll { $0 == p.key || $0.hasPrefix(prefix) }
                }
                c.env.append(p.key + "=" + p.value)
                added.insert(p.key)
            }
        case .label(let pairs):
            for p in pairs { c.labels[p.key] = p.value }
        case .expose(_, let keys): c.exposedPorts = Array(Set(c.exposedPorts).union(keys)).sorted()
        case .volume(let volumes): c.volumes = Array(Set(c.volumes).union(volumes)).sorted()
        case .user(let user): c.user = user.isEmpty ? nil : user
        case .stopSignal(let signal): c.stopSignal = signal
        case .workdir(let dir): c.workingDir = dir
        case .shell(let words): c.shell = words
        case .cmd(let command): c.cmd = command
        case .entrypoint(let command, let keepsCmd):
            c.entrypoint = command.isEmpty ? nil : command
            if !keepsCmd { c.cmd = nil }
        case .onbuild(let expression): c.onBuild = (c.onBuild ?? []) + [expression]
        case .healthcheck(let h): c.healthcheck = Self.healthcheck(h, base: c.healthcheck)
        case .maintainer: break
        }
    }

    /// The config's `Healthcheck` object. Docker fills the fields a HEALTHCHECK leaves at zero from the image
    /// it builds on.
    static func healthcheck(_ h: HealthcheckArguments, base: JSONValue?) -> JSONValue {
        var hc = JSONObject()
        hc.append("Test", JSONValue(h.test))
        if h.interval != 0 { hc.append("Interval", .int(h.interval)) }
        if h.timeout != 0 { hc.append("Timeout", .int(h.timeout)) }
        if h.startPeriod != 0 { hc.append("StartPeriod", .int(h.startPeriod)) }
        if h.startInterval != 0 { hc.append("StartInterval", .int(h.startInterval)) }
        if h.retries != 0 { hc.append("Retries", .int(Int64(h.retries))) }
        if let parent = base?.objectValue {
            for key in ["Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] where hc[key] == nil {
                if let v = parent[key], v != .int(0) { hc.append(key, v) }
            }
            var ordered = JSONObject()
            for key in ["Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries"] { if let v = hc[key] { ordered.append(key, v) } }
            hc = ordered
        }
        return .object(hc)
    }
}
