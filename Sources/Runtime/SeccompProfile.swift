import EstibaJSON
import System

/// A seccomp profile in Docker's JSON format (`--security-opt seccomp=PROFILE.json`): a default action, the
/// architectures, and rules whose `includes`/`excludes` make them depend on the container's capabilities, the
/// machine's architecture and its kernel. `filter(capabilities:)` resolves it for one container.
public struct SeccompProfile: Sendable, Equatable {
    public struct Argument: Sendable, Hashable {
        public var index: UInt32
        public var value: UInt64
        public var valueTwo: UInt64
        /// "SCMP_CMP_EQ", "SCMP_CMP_MASKED_EQ"…
        public var op: String
    }

    /// When a rule applies (`includes`) or does not (`excludes`).
    public struct Condition: Sendable, Equatable {
        public var capabilities: [String] = []
        /// Docker's architecture names: amd64, arm64, x86, x32, arm, s390x…
        public var architectures: [String] = []
        public var minimumKernel: (Int, Int)?

        public static func == (a: Condition, b: Condition) -> Bool {
            a.capabilities == b.capabilities && a.architectures == b.architectures
                && a.minimumKernel?.0 == b.minimumKernel?.0 && a.minimumKernel?.1 == b.minimumKernel?.1
        }
    }

    public struct Rule: Sendable, Equatable {
        public var names: [String]
        /// "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO"…
        public var action: String
        public var errno: UInt32?
        public var arguments: [Argument] = []
        public var includes = Condition()
        public var excludes = Condition()
    }

    public var defaultAction: String
    public var defaultErrno: UInt32?
    /// Extra architectures per native one ("SCMP_ARCH_X86_64" → x86 and x32), so 32-bit programs work too.
    public var architectureMap: [String: [String]] = [:]
    /// An explicit architecture list (older profiles).
    public var architectures: [String] = []
    public var rules: [Rule] = []

    static let actions: Set<String> = [
        "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
        "SCMP_ACT_TRAP", "SCMP_ACT_TRACE", "SCMP_ACT_LOG",
    ]
    static let operators: Set<String> = [
        "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
    ]

    /// Reads a profile in Docker's format; the error names what is wrong.
    public static func parse(_ bytes: [UInt8], source: String) throws(EstibaError) -> SeccompProfile {
        func bad(_ what: String) -> EstibaError {
            EstibaError.runtime("The seccomp profile \(source) is not valid: \(what). Give a profile in Docker's seccomp JSON format.", stage: "seccomp")
        }
        let json: JSONValue
        do { json = try JSONValue.parse(bytes) } catch { throw bad("it is not JSON (\(error))") }
        guard json.objectValue != nil else { throw bad("it is not a JSON object") }
        guard let defaultAction = json["defaultAction"]?.stringValue, actions.contains(defaultAction) else {
            throw bad("defaultAction must be one of \(actions.sorted().joined(separator: ", "))")
        }
        func number(_ v: JSONValue?, _ what: String, max: UInt64 = UInt64.max) throws(EstibaError) -> UInt64? {
            guard let v, !v.isNull else { return nil }
            guard let i = v.intValue, let u = UInt64(exactly: i), u <= max else { throw bad("\(what) must be a whole number from 0 to \(max)") }
            return u
        }
        func strings(_ v: JSONValue?, _ what: String) throws(EstibaError) -> [String] {
            guard let v, !v.isNull else { return [] }
            guard let a = v.arrayValue else { throw bad("\(what) must be a list of strings") }
            var out: [String] = []
            for e in a {
                guard let s = e.stringValue else { throw bad("\(what) must be a list of strings") }
                out.append(s)
            }
            return out
        }
        func condition(_ v: JSONValue?, _ what: String) throws(EstibaError) -> Condition {
            guard let v, !v.isNull else { return Condition() }
            guard v.objectValue != nil else { throw bad("\(what) must be an object") }
            var c = Condition()
            c.capabilities = try strings(v["caps"], what + ".caps")
            c.architectures = try strings(v["arches"], what + ".arches")
            if let k = v["minKernel"], !k.isNull {
                guard let text = k.stringValue, let parsed = kernelVersion(text) else { throw bad("\(what).minKernel must look like \"4.8\"") }
                c.minimumKernel = parsed
            }
            return c
        }
        var profile = SeccompProfile(defaultAction: defaultAction)
        profile.defaultErrno = try number(json["defaultErrnoRet"], "defaultErrnoRet", max: 4095).map { UInt32($0) }
        profile.architectures = try strings(json["architectures"], "architectures")
        for entry in json["archMap"]?.arrayValue ?? [] {
            guard let arch = entry["architecture"]?.stringValue else { throw bad("each archMap entry needs an architecture") }
            profile.architectureMap[arch] = try strings(entry["subArchitectures"], "subArchitectures")
        }
        guard let syscalls = json["syscalls"].map({ $0.isNull ? [] : $0.arrayValue }) ?? [] else { throw bad("syscalls must be a list") }
        for (i, s) in syscalls.enumerated() {
            let what = "syscalls[\(i)]"
            var names = try strings(s["names"], what + ".names")
            if let name = s["name"]?.stringValue { names.append(name) }
            guard !names.isEmpty else { throw bad("\(what) names no system call") }
            guard let action = s["action"]?.stringValue, actions.contains(action) else { throw bad("\(what).action must be one of \(actions.sorted().joined(separator: ", "))") }
            var rule = Rule(names: names, action: action)
            rule.errno = try number(s["errnoRet"], what + ".errnoRet", max: 4095).map { UInt32($0) }
            if let args = s["args"], !args.isNull {
                guard let list = args.arrayValue else { throw bad("\(what).args must be a list") }
                for a in list {
                    guard let op = a["op"]?.stringValue, operators.contains(op) else { throw bad("\(what).args: op must be one of \(operators.sorted().joined(separator: ", "))") }
                    guard let index = try number(a["index"], what + ".args.index", max: 5) else { throw bad("\(what).args needs an index") }
                    let value = try number(a["value"], what + ".args.value") ?? 0
                    let two = try number(a["valueTwo"], what + ".args.valueTwo") ?? 0
                    rule.arguments.append(Argument(index: UInt32(index), value: value, valueTwo: two, op: op))
                }
            }
            rule.includes = try condition(s["includes"], what + ".includes")
            rule.excludes = try condition(s["excludes"], what + ".excludes")
            profile.rules.append(rule)
        }
        return profile
    }

    init(defaultAction: String) { self.defaultAction = defaultAction }

    static func kernelVersion(_ text: String) -> (Int, Int)? {
        let parts = text.split(separator: ".")
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1].prefix { $0.isNumber }) else { return nil }
        return (major, minor)
    }

    /// This machine's architecture in Docker's names, and in libseccomp's.
    static var nativeArchitecture: (docker: String, seccomp: String) {
        #if arch(x86_64)
        return ("amd64", "SCMP_ARCH_X86_64")
        #elseif arch(arm64)
        return ("arm64", "SCMP_ARCH_AARCH64")
        #elseif arch(s390x)
        return ("s390x", "SCMP_ARCH_S390X")
        #elseif arch(powerpc64le)
        return ("ppc64le", "SCMP_ARCH_PPC64LE")
        #else
        return ("unknown", "SCMP_ARCH_NATIVE")
        #endif
    }

    static var runningKernel: (Int, Int) { kernelVersion(Machine.kernelRelease) ?? (0, 0) }

    /// The filter for a container with these capabilities on this machine.
    public func filter(capabilities: [String]) -> SeccompFilter {
        let native = Self.nativeArchitecture
        let kernel = Self.runningKernel
        let caps = Set(capabilities)
        func newEnough(_ k: (Int, Int)?) -> Bool {
            guard let k else { return true }
            return kernel.0 > k.0 || (kernel.0 == k.0 && kernel.1 >= k.1)
        }
        var arches: [String]
        if !architectures.isEmpty {
            arches = architectures
        } else {
            arches = [native.seccomp] + (architectureMap[native.seccomp] ?? [])
        }
        var resolved: [SeccompFilter.Rule] = []
        for r in rules where !r.names.isEmpty {
            if !r.includes.capabilities.allSatisfy(caps.contains) { continue }
            if !r.includes.architectures.isEmpty && !r.includes.architectures.contains(native.docker) { continue }
            if !newEnough(r.includes.minimumKernel) { continue }
            if r.excludes.capabilities.contains(where: caps.contains) { continue }
            if r.excludes.architectures.contains(native.docker) { continue }
            if let k = r.excludes.minimumKernel, newEnough(k) { continue }
            resolved.append(SeccompFilter.Rule(names: r.names, action: r.action, errno: r.errno, arguments: r.arguments))
        }
        arches = arches.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
        return SeccompFilter(defaultAction: defaultAction, defaultErrno: defaultErrno, architectures: arches, rules: resolved)
    }
}

/// A seccomp filter resolved for one container (the OCI runtime-spec `linux.seccomp`): what `config.json`
/// carries, what runc reads, and what Estiba's launcher installs.
public struct SeccompFilter: Sendable, Hashable {
    public struct Rule: Sendable, Hashable {
        public var names: [String]
        public var action: String
        public var errno: UInt32?
        public var arguments: [SeccompProfile.Argument]
    }

    public var defaultAction: String
    public var defaultErrno: UInt32?
    public var architectures: [String]
    public var rules: [Rule]

    /// OCI `linux.seccomp`.
    public var json: JSONValue {
        var o: JSONObject = ["defaultAction": .string(defaultAction)]
        if let e = defaultErrno { o.append("defaultErrnoRet", .int(Int64(e))) }
        o.append("architectures", JSONValue(architectures))
        o.append("syscalls", .array(rules.map { r in
            var s: JSONObject = ["names": JSONValue(r.names), "action": .string(r.action)]
            if let e = r.errno { s.append("errnoRet", .int(Int64(e))) }
            if !r.arguments.isEmpty {
                s.append("args", .array(r.arguments.map { a in
                    ["index": .int(Int64(a.index)), "value": .int(Int64(bitPattern: a.value)), "valueTwo": .int(Int64(bitPattern: a.valueTwo)), "op": .string(a.op)]
                }))
            }
            return .object(s)
        }))
        return .object(o)
    }

    /// Reads `linux.seccomp` back (for a detached container's monitor and for exec).
    public init?(json: JSONValue) {
        guard let action = json["defaultAction"]?.stringValue else { return nil }
        defaultAction = action
        defaultErrno = json["defaultErrnoRet"]?.intValue.flatMap { UInt32(exactly: $0) }
        architectures = json["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        var rules: [Rule] = []
        for s in json["syscalls"]?.arrayValue ?? [] {
            guard let names = s["names"]?.arrayValue?.compactMap(\.stringValue), let a = s["action"]?.stringValue else { return nil }
            var args: [SeccompProfile.Argument] = []
            for x in s["args"]?.arrayValue ?? [] {
                guard let i = x["index"]?.intValue.flatMap({ UInt32(exactly: $0) }), let op = x["op"]?.stringValue else { return nil }
                let v = x["value"]?.intValue ?? 0, v2 = x["valueTwo"]?.intValue ?? 0
                args.append(SeccompProfile.Argument(index: i, value: UInt64(bitPattern: v), valueTwo: UInt64(bitPattern: v2), op: op))
            }
            rules.append(Rule(names: names, action: a, errno: s["errnoRet"]?.intValue.flatMap { UInt32(exactly: $0) }, arguments: args))
        }
        self.rules = rules
    }

    public init(defaultAction: String, defaultErrno: UInt32?, architectures: [String], rules: [Rule]) {
        self.defaultAction = defaultAction
        self.defaultErrno = defaultErrno
        self.architectures = architectures
        self.rules = rules
    }
}
