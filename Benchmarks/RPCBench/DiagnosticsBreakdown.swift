import Dockerfile
import Engine
import Foundation

/// In-process cost of an editor's diagnostics for one text (what the language server does after each change):
/// parse, analysis with the build checks, the editor's questions, the context's checks, and the whole call.
enum DiagnosticsBreakdown {
    static func run(name: String, text: String, contextDirectory: String, root: String, rounds: Int) async {
        let engine = Engine(configuration: EngineConfiguration(root: root))
        var tParse: [Double] = [], tAnalyze: [Double] = [], tQuery: [Double] = [], tWhole: [Double] = []
        var count = 0
        for round in 0..<rounds {
            // Each round a new version (the engine keeps the last few texts parsed, as an editor edits).
            let text = text + "# edit \(round)\n"
            let t0 = now()
            let parsed = DockerfileParser.parse(text)
            let t1 = now()
            let analysis = DockerfileAnalysis(parsed)
            let t2 = now()
            let query = DocumentQuery(text: text, analysis: analysis)
            _ = query.contextSources()
            _ = query.stageReferenceDiagnostics()
            let t3 = now()
            count = await engine.documentDiagnostics(text: text + "\n", contextDirectory: contextDirectory).count
            let t4 = now()
            tParse.append(t1 - t0); tAnalyze.append(t2 - t1); tQuery.append(t3 - t2); tWhole.append(t4 - t3)
        }
        func ms(_ xs: [Double]) -> String { String(format: "%.2f/%.2f", percentile(xs, 0.5) * 1000, (xs.min() ?? 0) * 1000) }
        print("  \(name), in-process median/min (ms): parse \(ms(tParse)), analysis \(ms(tAnalyze)), document questions \(ms(tQuery)), whole diagnostics \(ms(tWhole)) (\(count) diagnostics)")
    }
}
