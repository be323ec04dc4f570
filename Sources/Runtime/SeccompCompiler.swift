import CSeccomp
import Synchronization
import System

/// Turns a resolved seccomp filter into the BPF program the launcher installs (with libseccomp, as runc and crun
/// do). Programs are cached: most containers share the default filter.
enum SeccompCompiler {
    private static let cache = Mutex<[SeccompFilter: [UInt8]]>([:])

    /// Where compiled programs are kept between processes (root only; a CLI process would otherwise build the
    /// same filter for every container it starts).
    static let cacheDirectory = "/run/estiba/seccomp"

    /// The program's `struct sock_filter` array as bytes.
    static func program(for filter: SeccompFilter) throws(EstibaError) -> [UInt8] {
        if let cached = cache.withLock({ $0[filter] }) { return cached }
        let key = cacheKey(filter)
        let bytes: [UInt8]
        if let stored = readCached(key) {
            bytes = stored
        } else {
            bytes = try compile(filter)
            writeCached(key, bytes)
        }
        cache.withLock { c in
            if c.count >= 32 { c.removeAll() }
            c[filter] = bytes
        }
        return bytes
    }

    /// The filter as JSON and the libseccomp version that compiles it: a cached program is used only when its
    /// file holds exactly these bytes.
    static func cacheKey(_ filter: SeccompFilter) -> [UInt8] {
        var key = Array("estiba-seccomp 1\n".utf8)
        if let v = seccomp_version() { key += Array("libseccomp \(v.pointee.major).\(v.pointee.minor).\(v.pointee.micro)\n".utf8) }
        key += filter.json.encoded()
        key.append(0x0A)
        return key
    }

    static func cachePath(_ key: [UInt8]) -> String { cacheDirectory + "/" + stableHash(key) + ".bpf" }

    static func readCached(_ key: [UInt8]) -> [UInt8]? {
        guard let file = try? Files.read(cachePath(key), upTo: 4 << 20), file.count > key.count,
            file.starts(with: key), (file.count - key.count) % 8 == 0
        else { return nil }
        return Array(file[key.count...])
    }

    /// Best effort: a cache that cannot be written only costs the next process a compile. The file is replaced
    /// atomically, so another process never reads half of it.
    static func writeCached(_ key: [UInt8], _ program: [UInt8]) {
        guard Processes.effectiveUserID == 0 else { return }
        try? Files.makeDirectory("/run/estiba", permissions: 0o700)
        try? Files.makeDirectory(cacheDirectory, permissions: 0o700)
        try? AtomicFile.write(key + program, to: cachePath(key), permissions: 0o600)
    }

    static func action(_ name: String, errno: UInt32?) throws(EstibaError) -> UInt32 {
        switch name {
        case "SCMP_ACT_ALLOW": return 0x7fff_0000
        case "SCMP_ACT_ERRNO": return estiba_scmp_act_errno(UInt16(truncatingIfNeeded: errno ?? UInt32(ErrorNumber.notPermitted)))
        case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD": return 0
        case "SCMP_ACT_KILL_PROCESS": return 0x8000_0000
        case "SCMP_ACT_TRAP": return 0x0003_0000
        case "SCMP_ACT_TRACE": return estiba_scmp_act_trace(UInt16(truncatingIfNeeded: errno ?? UInt32(ErrorNumber.notPermitted)))
        case "SCMP_ACT_LOG": return 0x7ffc_0000
        default: throw EstibaError.runtime("The seccomp action \(name) is not supported; use SCMP_ACT_ALLOW, SCMP_ACT_ERRNO, SCMP_ACT_KILL, SCMP_ACT_TRAP, SCMP_ACT_TRACE or SCMP_ACT_LOG.", stage: "seccomp")
        }
    }

    static func comparison(_ op: String) throws(EstibaError) -> scmp_compare {
        switch op {
        case "SCMP_CMP_NE": return SCMP_CMP_NE
        case "SCMP_CMP_LT": return SCMP_CMP_LT
        case "SCMP_CMP_LE": return SCMP_CMP_LE
        case "SCMP_CMP_EQ": return SCMP_CMP_EQ
        case "SCMP_CMP_GE": return SCMP_CMP_GE
        case "SCMP_CMP_GT": return SCMP_CMP_GT
        case "SCMP_CMP_MASKED_EQ": return SCMP_CMP_MASKED_EQ
        default: throw EstibaError.runtime("The seccomp comparison \(op) is not supported.", stage: "seccomp")
        }
    }

    private static func compile(_ filter: SeccompFilter) throws(EstibaError) -> [UInt8] {
        func failure(_ what: String, _ rc: Int32) -> EstibaError {
            EstibaError.runtime("Cannot build the seccomp filter: \(what) (\(ErrorNumber.text(-rc))).", stage: "seccomp")
        }
        let defaultAction = try action(filter.defaultAction, errno: filter.defaultErrno)
        guard let ctx = seccomp_init(defaultAction) else { throw EstibaError.runtime("Cannot build the seccomp filter: libseccomp failed to start.", stage: "seccomp") }
        defer { seccomp_release(ctx) }
        // The launcher installs the program itself, with no_new_privs only when asked for.
        _ = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)
        for arch in filter.architectures {
            let name = arch.hasPrefix("SCMP_ARCH_") ? String(arch.dropFirst(10)).lowercased() : arch.lowercased()
            let token = seccomp_arch_resolve_name(name)
            guard token != 0 else { throw EstibaError.runtime("The seccomp architecture \(arch) is not known.", stage: "seccomp") }
            let rc = seccomp_arch_add(ctx, token)
            if rc != 0 && rc != -ErrorNumber.alreadyExists { throw failure("architecture \(arch)", rc) }
        }
        for rule in filter.rules {
            let ruleAction = try action(rule.action, errno: rule.errno)
            if ruleAction == defaultAction { continue }
            var comparisons: [scmp_arg_cmp] = []
            for a in rule.arguments {
                comparisons.append(scmp_arg_cmp(arg: a.index, op: try comparison(a.op), datum_a: a.value, datum_b: a.valueTwo))
            }
            // libseccomp cannot AND two conditions on one argument: as runc does, such a rule becomes one rule per
            // condition.
            let indexes = Set(comparisons.map(\.arg))
            let groups: [[scmp_arg_cmp]] = indexes.count == comparisons.count ? [comparisons] : comparisons.map { [$0] }
            for name in rule.names {
                let number = seccomp_syscall_resolve_name(name)
                if number == __NR_SCMP_ERROR { continue }  // unknown here: nothing to filter
                for group in groups {
                    let rc = group.withUnsafeBufferPointer { buffer in
                        seccomp_rule_add_array(ctx, ruleAction, number, UInt32(buffer.count), buffer.baseAddress)
                    }
                    if rc != 0 && rc != -ErrorNumber.alreadyExists { throw failure("rule for \(name)", rc) }
                }
            }
        }
        var out: UnsafeMutablePointer<UInt8>?
        let size = estiba_scmp_export(ctx, &out)
        guard size > 0, let out else { throw failure("export", Int32(truncatingIfNeeded: size)) }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
