import Engine
import EstibaJSON
import System

/// The JSON form of `parse` results (documented in Protocol/openrpc.json as ParseResult), built straight into
/// jansson trees. `instructions` is the last member, so that a long list can be encoded in parallel chunks
/// and spliced in.
public enum ParseEncoding {
    /// From this many instructions on, the asynchronous encoder splits them over the processors.
    static let parallelThreshold = 256

    /// Online processors (at most 8), read once: the count is read from a file under /sys on every call.
    static let processors = min(8, Machine.onlineProcessors)

    /// The result, encoded on the calling thread.
    public static func encode(_ report: ParseReport) -> JSONText {
        let count = report.analysis.parsed.instructions.count
        return JSONText.inRegion(expectedSize: expectedSize(report.analysis, 0..<count) + 512) {
            var o = head(report)
            o.set("instructions", instructions(report.analysis, 0..<count))
            return o
        }
    }

    /// The result, with a long instruction list encoded in chunks on several threads.
    public static func encodeConcurrently(_ report: ParseReport) async -> JSONText {
        let a = report.analysis
        let count = a.parsed.instructions.count
        let processors = Self.processors
        guard count >= parallelThreshold, processors > 1 else { return encode(report) }
        let chunk = (count + processors - 1) / processors
        let list = await withTaskGroup(of: (Int, JSONText).self) { group in
            for (i, start) in stride(from: 0, to: count, by: chunk).enumerated() {
                let part = start..<min(count, start + chunk)
                group.addTask { (i, JSONText.inRegion(expectedSize: expectedSize(a, part)) { instructions(a, part) }) }
            }
            var parts: [JSONText?] = Array(repeating: nil, count: processors)
            for await (i, text) in group { parts[i] = text }
            return JSONText.concatenating(arrays: parts.compactMap { $0 })
        }
        return JSONText.adding("instructions", list, to: JSONText(head(report)))
    }

    /// A generous guess at the encoded size of some instructions (an instruction's JSON is about twice its
    /// text plus up to 190 bytes of names and positions).
    static func expectedSize(_ a: DockerfileAnalysis, _ indices: Range<Int>) -> Int {
        var n = 2
        let nodes = a.parsed.instructions
        for i in indices { n += 2 * nodes[i].original.utf8.count + 192 }
        return n
    }

    /// Everything but `instructions`.
    static func head(_ report: ParseReport) -> JSONNode {
        let a = report.analysis
        let p = a.parsed
        var o = JSONNode.object()
        o.set("path", JSONNode(optional: report.path))
        o.set("escapeToken", JSONNode(String(p.escapeToken)))
        var directives = JSONNode.array()
        for d in p.directives {
            var n = JSONNode.object()
            n.set("name", JSONNode(d.name))
            n.set("value", JSONNode(d.value))
            n.set("line", JSONNode(d.line))
            n.set("range", range(d.range))
            directives.append(n)
        }
        o.set("directives", directives)
        var stages = JSONNode.array()
        for s in a.stages {
            var n = JSONNode.object()
            n.set("index", JSONNode(s.index))
            n.set("name", JSONNode(optional: s.name))
            n.set("baseImage", JSONNode(s.baseImage))
            n.set("platform", JSONNode(optional: s.platform))
            n.set("firstInstruction", JSONNode(s.firstInstruction))
            n.set("lastInstruction", JSONNode(s.lastInstruction))
            n.set("range", range(SourceRange(start: p.ranges[s.firstInstruction].start, end: p.ranges[s.lastInstruction].end)))
            stages.append(n)
        }
        o.set("stages", stages)
        var diagnostics = JSONNode.array()
        for d in a.diagnostics { diagnostics.append(diagnostic(d)) }
        o.set("diagnostics", diagnostics)
        return o
    }

    /// The instructions in `indices`, as one array.
    static func instructions(_ a: DockerfileAnalysis, _ indices: Range<Int>) -> JSONNode {
        // Read once: `instructions` is computed, and each read would retain the array shared with the other chunks' threads.
        let nodes = a.parsed.instructions
        let ranges = a.parsed.ranges
        let stages = a.stageOfInstruction
        var list = JSONNode.array()
        for i in indices {
            var n = instruction(nodes[i], range: ranges[i])
            n.set("stage", stages[i].map { JSONNode($0) } ?? JSONNode.null())
            list.append(n)
        }
        return list
    }

    static func instruction(_ node: DockerfileNode, range r: SourceRange) -> JSONNode {
        var o = JSONNode.object()
        o.set("keyword", JSONNode(node.value.uppercased()))
        // As written, as BuildKit's AST keeps it.
        o.set("written", JSONNode(node.value))
        if !node.flags.isEmpty { o.set("flags", JSONNode(node.flags)) }
        let trigger = node.next.first?.children.first
        if trigger == nil {
            var args = JSONNode.array()
            for v in node.next { args.append(JSONNode(v.value)) }
            o.set("args", args)
        } else {
            o.set("args", JSONNode.array())
        }
        o.set("json", JSONNode(node.isJSON))
        if !node.heredocs.isEmpty {
            var list = JSONNode.array()
            for h in node.heredocs {
                var n = JSONNode.object()
                n.set("name", JSONNode(h.name))
                n.set("content", JSONNode(h.content))
                n.set("expand", JSONNode(h.expand))
                n.set("chomp", JSONNode(h.chomp))
                n.set("fileDescriptor", JSONNode(h.fileDescriptor))
                list.append(n)
            }
            o.set("heredocs", list)
        }
        o.set("original", JSONNode(node.original))
        o.set("range", range(r))
        if let trigger { o.set("trigger", instruction(trigger, range: r)) }
        if !node.prevComment.isEmpty { o.set("comments", JSONNode(node.prevComment)) }
        return o
    }

    /// A range as LSP and the parse result write it: `{"start": {"line", "character"}, "end": {…}}`.
    public static func range(_ r: SourceRange) -> JSONNode {
        var start = JSONNode.object()
        start.set("line", JSONNode(r.start.line))
        start.set("character", JSONNode(r.start.character))
        var end = JSONNode.object()
        end.set("line", JSONNode(r.end.line))
        end.set("character", JSONNode(r.end.character))
        var o = JSONNode.object()
        o.set("start", start)
        o.set("end", end)
        return o
    }

    static func diagnostic(_ d: Diagnostic) -> JSONNode {
        var o = JSONNode.object()
        o.set("severity", JSONNode(d.severity.rawValue))
        o.set("range", range(d.range))
        o.set("code", JSONNode(d.code))
        o.set("message", JSONNode(d.message))
        o.set("source", JSONNode("estiba"))
        return o
    }
}
