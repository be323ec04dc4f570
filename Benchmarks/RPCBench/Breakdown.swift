import CLIOutput
import Dockerfile
import Engine
import EstibaJSON
import Service

/// In-process cost of each step of a `parse` request, to see where end-to-end time goes.
enum Breakdown {
    static func run(text: String, rounds: Int) {
        let request: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "parse", "params": ["text": .string(text)]]
        let requestBytes = request.encoded()
        var tLoad: [Double] = [], tParse: [Double] = [], tAnalyze: [Double] = [], tDump: [Double] = []
        var outBytes = 0
        for _ in 0..<rounds {
            let t0 = now()
            let decoded = (try? JSONValue.parse(requestBytes)) ?? .null
            let t1 = now()
            let src = decoded["params"]?["text"]?.stringValue ?? ""
            let parsed = DockerfileParser.parse(src)
            let t2 = now()
            let analysis = DockerfileAnalysis(parsed)
            let t3 = now()
            outBytes = ParseEncoding.encode(ParseReport(path: nil, analysis: analysis)).bytes.count
            let t4 = now()
            tLoad.append(t1 - t0); tParse.append(t2 - t1); tAnalyze.append(t3 - t2); tDump.append(t4 - t3)
        }
        func ms(_ xs: [Double]) -> String { String(format: "%.2f", percentile(xs, 0.5) * 1000) }
        print("  in-process medians (ms): decode request \(ms(tLoad)) (\(requestBytes.count) B), parse \(ms(tParse)), analyze \(ms(tAnalyze)), encode result \(ms(tDump)) (\(outBytes) B, one thread)")
    }

    /// Wall time of the concurrent encoding (what the service does for long results).
    static func concurrentEncoding(text: String, rounds: Int) async {
        let report = ParseReport(path: nil, analysis: DockerfileAnalysis(DockerfileParser.parse(text)))
        var times: [Double] = []
        for _ in 0..<rounds {
            let t0 = now()
            let out = await ParseEncoding.encodeConcurrently(report)
            times.append(now() - t0)
            precondition(out.bytes.count > 0)
        }
        print(String(format: "  in-process median (ms): encode result on all processors %.2f", percentile(times, 0.5) * 1000))
        do {
            let other = ParseReport(path: nil, analysis: DockerfileAnalysis(DockerfileParser.parse(text)))
            var both: [Double] = []
            for _ in 0..<rounds {
                let t0 = now()
                await withTaskGroup(of: Void.self) { g in
                    g.addTask { _ = ParseEncoding.encode(report) }
                    g.addTask { _ = ParseEncoding.encode(other) }
                }
                both.append(now() - t0)
            }
            var one: [Double] = []
            for _ in 0..<rounds {
                let t0 = now()
                _ = ParseEncoding.encode(report)
                one.append(now() - t0)
            }
            // On a shared virtual machine the second processor is not always there; this shows whether it was.
            print(String(format: "  processor check: two results encoded at once %.2f ms, one alone %.2f ms (the same when both processors are free)",
                percentile(both, 0.5) * 1000, percentile(one, 0.5) * 1000))
        }
    }
}

/// In-process cost of the JSON work of one trivial request (decode the request, encode a small reply).
enum TrivialBreakdown {
    static func run(rounds: Int = 200_000) {
        let req = Array(#"{"jsonrpc":"2.0","id":1,"method":"parse","params":{"text":"FROM busybox"}}"#.utf8)
        var t0 = now()
        var sink = 0
        for _ in 0..<rounds { sink &+= ((try? JSONValue.parse(req))?.objectValue?.count ?? 0) }
        let decode = (now() - t0) / Double(rounds)
        let parsed = DockerfileAnalysis(DockerfileParser.parse("FROM busybox"))
        t0 = now()
        for _ in 0..<rounds { sink &+= DockerfileAnalysis(DockerfileParser.parse("FROM busybox")).stages.count }
        let parse = (now() - t0) / Double(rounds)
        t0 = now()
        var bytes = 0
        for _ in 0..<rounds { bytes = ParseEncoding.encode(ParseReport(path: nil, analysis: parsed)).bytes.count }
        let encode = (now() - t0) / Double(rounds)
        print(String(format: "  trivial request in-process (µs): decode %.1f, parse+analyze %.1f, encode result %.1f (%d B)%@",
            decode * 1e6, parse * 1e6, encode * 1e6, bytes, sink == 42 ? " " : ""))
    }
}
