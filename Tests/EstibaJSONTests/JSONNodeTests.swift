import Testing

@testable import EstibaJSON

@Suite struct JSONNodeTests {
    @Test func buildsTheSameTextAsJSONValue() throws {
        var o = JSONNode.object()
        o.set("s", JSONNode("a\"b\\c\n\u{0}é😀"))
        o.set("n", JSONNode(-42))
        o.set("t", JSONNode(true))
        o.set("missing", JSONNode(optional: nil))
        o.set(String("dyn\u{1}amic"), JSONNode(["x", ""]))
        var a = JSONNode.array()
        a.append(JSONNode.object())
        a.append(JSONNode(["k": [1, 2.5, .null]] as JSONValue))
        o.set("a", a)
        let expected: JSONValue = [
            "s": "a\"b\\c\n\u{0}é😀", "n": -42, "t": true, "missing": nil, "dyn\u{1}amic": ["x", ""],
            "a": [[:], ["k": [1, 2.5, nil]]],
        ]
        let text = JSONText(o)
        let reference = expected.encoded()
        #expect(text.bytes == reference)
        #expect(try JSONValue.parse(text.bytes) == expected)
    }

    @Test func anUnusedNodeIsReleasedAndAnExpectedSizeChangesNothing() {
        for _ in 0..<1000 { _ = JSONNode(String(repeating: "x", count: 100)) }
        var a = JSONNode.array()
        for i in 0..<500 { a.append(JSONNode(i)) }
        let grown = JSONText(a, expectedSize: 8)
        var b = JSONNode.array()
        for i in 0..<500 { b.append(JSONNode(i)) }
        let roomy = JSONText(b, expectedSize: 1 << 16)
        #expect(grown == roomy)
        #expect(grown.bytes.first == UInt8(ascii: "[") && grown.bytes.count == 1891)
    }

    @Test func splicesArraysAndMembers() throws {
        let parts = [JSONText([1, 2]), JSONText([]), JSONText(["three"]), JSONText([])]
        let joined = JSONText.concatenating(arrays: parts)
        #expect(String(decoding: joined.bytes, as: UTF8.self) == #"[1,2,"three"]"#)
        #expect(JSONText.concatenating(arrays: []).bytes == Array("[]".utf8))
        let head = JSONText(["a": 1])
        let full = JSONText.adding("list \"q\"", joined, to: head)
        #expect(try JSONValue.parse(full.bytes) == ["a": 1, "list \"q\"": [1, 2, "three"]])
        let fromEmpty = JSONText.adding("k", JSONText(true), to: JSONText([:]))
        #expect(String(decoding: fromEmpty.bytes, as: UTF8.self) == #"{"k":true}"#)
    }
}

@Suite struct JSONRegionTests {
    static func document(_ n: Int) -> JSONNode {
        var list = JSONNode.array()
        for i in 0..<n {
            var o = JSONNode.object()
            o.set("i", JSONNode(i))
            o.set("s", JSONNode("value \(i) \u{E9}"))
            _ = JSONNode("made and dropped inside the region")
            list.append(o)
        }
        return list
    }

    @Test func regionEncodingIsTheHeapEncoding() throws {
        let before = JSONText.regionBytesOnThisThread
        let inRegion = JSONText.inRegion { Self.document(2000) }
        #expect(JSONText.regionBytesOnThisThread > before + 2000 * 64)
        let onHeap = JSONText(Self.document(2000))
        #expect(inRegion == onHeap)
        let nested = JSONText.inRegion {
            var o = JSONNode.object()
            let inner = JSONText.inRegion { Self.document(10) }
            o.set("inner", JSONNode((try? JSONValue.parse(inner.bytes)) ?? .null))
            return o
        }
        #expect(try JSONValue.parse(nested.bytes)["inner"]?.arrayValue?.count == 10)
    }

    @Test func regionsOnManyThreadsAtOnce() async {
        let reference = JSONText(Self.document(500))
        let results = await withTaskGroup(of: JSONText.self) { group in
            for _ in 0..<16 { group.addTask { JSONText.inRegion { Self.document(500) } } }
            var all: [JSONText] = []
            for await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 16)
        #expect(results.allSatisfy { $0 == reference })
        // Values decoded outside any region, on a thread that used regions, are still freed normally.
        for _ in 0..<1000 { _ = try? JSONValue.parse(#"{"a":[1,2,{"b":"c"}]}"#) }
    }
}
