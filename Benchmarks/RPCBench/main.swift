// estiba-rpc-bench: a native load generator for `estiba serve --socket`.
//
//   swift build -c release && .build/release/estiba-rpc-bench [--estiba PATH] [--requests N] [--connections C] [--window W]
//   .build/release/estiba-rpc-bench --diagnostics FILE [--diagnostics FILE…] [--latency-rounds N]
//
// Prints: end-to-end latency of `parse` on a 1,000-instruction Dockerfile over the socket, and throughput plus
// server CPU per request for trivial requests (initialize, tiny parse) over C connections, W requests in flight
// per connection. Server CPU comes from /proc/PID/stat (utime + stime) before and after. Then the latency of
// images/inspect/history with N images in a scratch store (--store-images N, default 200).

import EstibaJSON
import Foundation
import Glibc

struct Options {
    var estiba = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("estiba").path
    var requests = 200_000
    var connections = 8
    var window = 16
    var latencyRounds = 200
    /// Only the in-process breakdown (no server): for profilers such as callgrind.
    var breakdownOnly = false
    /// Images in the store for the images/inspect/history latencies (0 skips that part).
    var storeImages = 200
    /// Only the container-start latency (for Benchmarks/run-bench.sh).
    var runOnly = false
    /// Only the build latencies on an existing store and context (for Benchmarks/build-bench.sh).
    var buildStore: String?
    var buildContext: String?
    /// Only the trivial-request throughput (for profiling the server with perf).
    var throughputOnly = false
    /// Only the 1,000-instruction parse latency.
    var parseOnly = false
    /// Only the in-process diagnostics breakdown of these Dockerfiles (each with its directory as the context).
    var diagnosticsFiles: [String] = []

    init() {
        var args = CommandLine.arguments.dropFirst().makeIterator()
        while let a = args.next() {
            switch a {
            case "--estiba": estiba = args.next() ?? estiba
            case "--requests": requests = Int(args.next() ?? "") ?? requests
            case "--connections": connections = Int(args.next() ?? "") ?? connections
            case "--window": window = Int(args.next() ?? "") ?? window
            case "--latency-rounds": latencyRounds = Int(args.next() ?? "") ?? latencyRounds
            case "--breakdown-only": breakdownOnly = true
            case "--diagnostics": if let file = args.next() { diagnosticsFiles.append(file) }
            case "--throughput-only": throughputOnly = true
            case "--parse-only": parseOnly = true
            case "--store-images": storeImages = Int(args.next() ?? "") ?? storeImages
            case "--run-only": runOnly = true
            case "--build-only":
                buildStore = args.next()
                buildContext = args.next()
            default:
                FileHandle.standardError.write("unknown option \(a)\n".data(using: .utf8) ?? Data())
                exit(2)
            }
        }
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// utime + stime of a process, in seconds.
func cpuSeconds(_ pid: Int32) -> Double {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // fields[0] is state (field 3); utime is field 14, stime field 15.
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    return ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks
}

final class Connection: @unchecked Sendable {  // each instance is used by one thread at a time
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var pending: [UInt8] = []

    init(path: String) {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        precondition(rc == 0, "connect failed")
    }

    func send(_ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
            precondition(n > 0, "write failed")
            off += n
        }
    }

    /// Reads until `count` newline-terminated replies arrived; returns the last one.
    func receive(_ count: Int) -> ArraySlice<UInt8> {
        var seen = 0
        var lastStart = 0
        var lastEnd = -1
        pending.removeAll(keepingCapacity: true)
        while seen < count {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            precondition(n > 0, "read failed")
            let base = pending.count
            pending.append(contentsOf: buffer[0..<n])
            pending.withUnsafeBytes { raw in
                guard let p = raw.baseAddress else { return }
                var at = base
                while at < raw.count, let hit = memchr(p + at, 0x0A, raw.count - at) {
                    seen += 1
                    lastStart = lastEnd + 1
                    lastEnd = p.distance(to: UnsafeRawPointer(hit))
                    at = lastEnd + 1
                }
            }
        }
        return pending[lastStart..<lastEnd]
    }

    deinit { close(fd) }
}

func dockerfile(instructions: Int) -> String {
    var lines = ["# syntax=docker/dockerfile:1", "ARG BASE=debian:bookworm", "FROM ${BASE} AS build"]
    var i = 0
    while lines.count < instructions + 1 {
        switch i % 8 {
        case 0: lines.append("RUN apt-get update && apt-get install -y --no-install-recommends \\\n    curl ca-certificates git-\(i) \\\n    && rm -rf /var/lib/apt/lists/*")
        case 1: lines.append("ENV PATH=/opt/tool\(i)/bin:$PATH LANG=C.UTF-8")
        case 2: lines.append("COPY --chown=app:app src/module\(i) /app/module\(i)")
        case 3: lines.append("LABEL org.example.step\(i)=\"value \(i)\" maintainer=\"team@example.com\"")
        case 4: lines.append("WORKDIR /app/dir\(i)")
        case 5: lines.append("RUN [\"/bin/sh\", \"-c\", \"echo step \(i) > /tmp/step\(i)\"]")
        case 6: lines.append("ARG VERSION_\(i)=1.\(i).0")
        default: lines.append("EXPOSE \(8000 + i)/tcp")
        }
        i += 1
    }
    lines.append("CMD [\"/app/run\"]")
    return lines.joined(separator: "\n") + "\n"
}

func percentile(_ xs: [Double], _ p: Double) -> Double {
    let s = xs.sorted()
    return s[min(s.count - 1, Int(Double(s.count - 1) * p))]
}

let opts = Options()
if let store = opts.buildStore, let context = opts.buildContext {
    BuildLatency.run(estiba: opts.estiba, store: store, context: context, rounds: opts.latencyRounds)
    exit(0)
}
if opts.runOnly {
    RunLatency.run(estiba: opts.estiba, rounds: opts.latencyRounds)
    exit(0)
}
if !opts.diagnosticsFiles.isEmpty {
    let root = "/tmp/estiba-diagnostics-bench-\(getpid())"
    for file in opts.diagnosticsFiles {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            print("cannot read \(file)")
            exit(1)
        }
        let url = URL(fileURLWithPath: file)
        await DiagnosticsBreakdown.run(
            name: url.lastPathComponent, text: text, contextDirectory: url.deletingLastPathComponent().path, root: root,
            rounds: max(5, opts.latencyRounds))
    }
    _ = try? FileManager.default.removeItem(atPath: root)
    exit(0)
}
if opts.breakdownOnly {
    Breakdown.run(text: dockerfile(instructions: 1000), rounds: max(5, opts.latencyRounds))
    await Breakdown.concurrentEncoding(text: dockerfile(instructions: 1000), rounds: max(5, opts.latencyRounds))
    exit(0)
}
let dir = "/tmp/estiba-bench-\(getpid())"
mkdir(dir, 0o700)
let socketPath = dir + "/bench.sock"
let server = Process()
server.executableURL = URL(fileURLWithPath: opts.estiba)
server.arguments = ["serve", "--socket", socketPath]
server.standardError = FileHandle.nullDevice
do { try server.run() } catch {
    print("cannot start \(opts.estiba): \(error). Build it first: swift build -c release")
    exit(1)
}
defer {
    server.terminate()
    server.waitUntilExit()
    rmdir(dir)
}
while access(socketPath, F_OK) != 0 { usleep(2000) }
let pid = server.processIdentifier
var load = [Double](repeating: 0, count: 3)
getloadavg(&load, 3)
print("estiba-rpc-bench: server \(opts.estiba) (pid \(pid)), \(ProcessInfo.processInfo.activeProcessorCount) CPUs, load average \(String(format: "%.2f", load[0]))")

// 1. parse of a 1,000-instruction Dockerfile, end to end over the socket, one request at a time.
if !opts.throughputOnly {
    let text = dockerfile(instructions: 1000)
    let req: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "parse", "params": ["text": .string(text)]]
    let line = req.encoded() + [0x0A]
    let c = Connection(path: socketPath)
    var times: [Double] = []
    var replyBytes = 0
    var instructions = 0
    var cpuStart = 0.0
    var clientStart = 0.0
    for round in 0..<(opts.latencyRounds + 20) {
        if round == 20 {
            cpuStart = cpuSeconds(pid)
            clientStart = cpuSeconds(getpid())
        }
        let t0 = now()
        c.send(line)
        let reply = c.receive(1)
        let dt = now() - t0
        if round >= 20 { times.append(dt) }
        if round == 0 {
            replyBytes = reply.count
            instructions = (try? JSONValue.parse(Array(reply)))?["result"]?["instructions"]?.arrayValue?.count ?? -1
        }
    }
    let serverCPU = (cpuSeconds(pid) - cpuStart) / Double(times.count)
    let clientCPU = (cpuSeconds(getpid()) - clientStart) / Double(times.count)
    Breakdown.run(text: text, rounds: 50)
    await Breakdown.concurrentEncoding(text: text, rounds: 50)
    print(String(format: "parse, %d-instruction Dockerfile (%d bytes in, %d bytes out), %d rounds: median %.2f ms, p95 %.2f ms, min %.2f ms; CPU per request: server %.2f ms, client %.2f ms",
        instructions, line.count, replyBytes, times.count, percentile(times, 0.5) * 1000, percentile(times, 0.95) * 1000, times.min()! * 1000,
        serverCPU * 1000, clientCPU * 1000))
}

// 2. trivial requests: throughput and server CPU per request.
func throughput(_ name: String, _ body: JSONValue, connections: Int, window: Int, total: Int) {
    let line = body.encoded() + [0x0A]
    let perConnection = total / connections
    let conns = (0..<connections).map { _ in Connection(path: socketPath) }
    // Warm up.
    for c in conns { c.send(line); _ = c.receive(1) }
    let cpu0 = cpuSeconds(pid)
    let t0 = now()
    let group = DispatchGroup()
    for c in conns {
        group.enter()
        let t = Thread {
            var sent = 0
            var received = 0
            let burst = Array(repeating: line, count: window).flatMap { $0 }
            c.send(burst)
            sent += window
            while received < perConnection {
                let inFlight = sent - received
                let n = min(inFlight, window)
                _ = c.receive(n)
                received += n
                let more = min(n, perConnection - sent)
                if more > 0 {
                    c.send(more == window ? burst : Array(repeating: line, count: more).flatMap { $0 })
                    sent += more
                }
            }
            group.leave()
        }
        t.stackSize = 1 << 20
        t.start()
    }
    group.wait()
    let wall = now() - t0
    let cpu = cpuSeconds(pid) - cpu0
    let n = Double(perConnection * connections)
    print(String(format: "%@: %d connections x %d in flight, %.0f requests in %.2f s: %.0f req/s, server CPU %.1f µs/request",
        name, connections, window, n, wall, n / wall, cpu / n * 1e6))
}

if !opts.throughputOnly, !opts.parseOnly { TrivialBreakdown.run() }
let initialize: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "initialize"]
let tinyParse: JSONValue = ["jsonrpc": "2.0", "id": 2, "method": "parse", "params": ["text": "FROM busybox"]]
if !opts.parseOnly {
    throughput("initialize", initialize, connections: opts.connections, window: opts.window, total: opts.requests)
    throughput("tiny parse", tinyParse, connections: opts.connections, window: opts.window, total: opts.requests)
    throughput("initialize, sequential", initialize, connections: opts.connections, window: 1, total: opts.requests / 10)
}
if !opts.throughputOnly, !opts.parseOnly {
    if opts.storeImages > 0 { StoreMethods.run(estiba: opts.estiba, count: opts.storeImages, rounds: 200) }
    RunLatency.run(estiba: opts.estiba, rounds: 50)
}

/// Starts `estiba serve --socket` under `dir`, on the store `root` (default: a scratch one in `dir`); returns the
/// process and the socket path.
func startScratchServer(estiba: String, dir: String, root: String? = nil) -> (Process, String)? {
    let socketPath = dir + "/s.sock"
    let server = Process()
    server.executableURL = URL(fileURLWithPath: estiba)
    server.arguments = ["serve", "--socket", socketPath]
    var env = ProcessInfo.processInfo.environment
    env["ESTIBA_ROOT"] = root ?? dir + "/root"
    server.environment = env
    server.standardError = FileHandle.nullDevice
    guard (try? server.run()) != nil else {
        print("cannot start \(estiba)")
        return nil
    }
    while access(socketPath, F_OK) != 0 { usleep(2000) }
    return (server, socketPath)
}
