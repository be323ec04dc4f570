import Dockerfile
import Engine
import EstibaJSON

/// The JSON form of `parse` results (documented in Protocol/openrpc.json as ParseResult).
public enum ParseEncoding {
    public static func encode(_ report: ParseReport) -> JSONValue {
        let a = report.analysis
        let p = a.parsed
        var o = JSONObject()
        o.append("path", JSONValue(optional: report.path))
        o.append("escapeToken", .string(String(p.escapeToken)))
        o.append(
            "directives",
            .array(
                p.directives.map { d in
                    ["name": .string(d.name), "value": .string(d.value), "line": .int(Int64(d.line)), "range": range(d.range)]
                }))
        var instructions: [JSONValue] = []
        instructions.reserveCapacity(p.instructions.count)
        for (i, node) in p.instructions.enumerated() {
            var inst = instruction(node, range: p.ranges[i])
            if case .object(var io) = inst {
                io.append("stage", a.stageOfInstruction[i].map { .int(Int64($0)) } ?? .null)
                inst = .object(io)
            }
            instructions.append(inst)
        }
        o.append("instructions", .array(instructions))
        o.append(
            "stages",
            .array(
                a.stages.map { s in
                    [
                        "index": .int(Int64(s.index)), "name": JSONValue(optional: s.name),
                        "baseImage": .string(s.baseImage), "platform": JSONValue(optional: s.platform),
                        "firstInstruction": .int(Int64(s.firstInstruction)),
                        "lastInstruction": .int(Int64(s.lastInstruction)),
                        "range": range(
                            SourceRange(start: p.ranges[s.firstInstruction].start, end: p.ranges[s.lastInstruction].end)),
                    ]
                }))
        o.append("diagnostics", .array(a.diagnostics.map(diagnostic)))
        return .object(o)
    }

    static func instruction(_ node: Node, range r: SourceRange) -> JSONValue {
        var o = JSONObject()
        o.append("keyword", .string(node.value.uppercased()))
        if !node.flags.isEmpty { o.append("flags", JSONValue(node.flags)) }
        let trigger = node.next.first?.children.first
        o.append("args", trigger == nil ? JSONValue(node.next.map(\.value)) : .array([]))
        o.append("json", .bool(node.isJSON))
        if !node.heredocs.isEmpty {
            o.append(
                "heredocs",
                .array(
                    node.heredocs.map { h in
                        [
                            "name": .string(h.name), "content": .string(h.content), "expand": .bool(h.expand),
                            "chomp": .bool(h.chomp), "fileDescriptor": .int(Int64(h.fileDescriptor)),
                        ]
                    }))
        }
        o.append("original", .string(node.original))
        o.append("range", range(r))
        if let trigger { o.append("trigger", instruction(trigger, range: r)) }
        if !node.prevComment.isEmpty { o.append("comments", JSONValue(node.prevComment)) }
        return .object(o)
    }

    static func range(_ r: SourceRange) -> JSONValue {
        [
            "start": ["line": .int(Int64(r.start.line)), "character": .int(Int64(r.start.character))],
            "end": ["line": .int(Int64(r.end.line)), "character": .int(Int64(r.end.character))],
        ]
    }

    static func diagnostic(_ d: Diagnostic) -> JSONValue {
        [
            "severity": .string(d.severity.rawValue), "range": range(d.range), "code": .string(d.code),
            "message": .string(d.message), "source": "estiba",
        ]
    }
}
