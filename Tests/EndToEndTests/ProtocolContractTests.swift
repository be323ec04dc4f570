import EstibaJSON
import Foundation
import Testing

/// The server and Protocol/openrpc.json agree: same methods, and real responses match the documented schemas.
@Suite struct ProtocolContractTests {
    let document: JSONValue
    let validator: SchemaValidator

    init() throws {
        let data = try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))
        document = try JSONValue.parse(Array(data))
        validator = SchemaValidator(document: document)
    }

    func method(_ name: String) -> JSONValue? {
        document["methods"]?.arrayValue?.first { $0["name"]?.stringValue == name }
    }

    func expectValid(_ value: JSONValue, against schema: JSONValue, _ what: String) {
        let problems = validator.validate(value, schema)
        #expect(problems.isEmpty, "\(what): \(problems.prefix(5).joined(separator: "; "))")
    }

    @Test func documentedMethodsAreExactlyTheServedOnes() throws {
        let s = try StdioService()
        s.sendLine(request(1, "initialize"))
        let served = Set(try #require(try s.reader.json()?["result"]?["methods"]?.arrayValue).compactMap(\.stringValue))
        let documented = Set(document["methods"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        #expect(served == documented)
        #expect(document["openrpc"]?.stringValue?.hasPrefix("1.") == true)
        // An undocumented method is not answered; every documented one is (shutdown comes last in this order).
        s.sendLine(request(3, "build-everything"))
        #expect(try s.reader.json()?.errorCode == -32601)
        for name in documented.sorted() where name != "exit" {
            s.sendLine(request(2, name, name == "$/cancelRequest" ? ["id": 0] : [:]))
            let reply = try #require(try s.reader.json())
            #expect(reply.errorCode != -32601, "\(name)")
        }
    }

    @Test func responsesValidateAgainstDocumentedSchemas() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dockerfile = dir.appendingPathComponent("Dockerfile")
        try """
            # syntax=docker/dockerfile:1
            # escape=\\
            ARG BASE=busybox
            FROM ${BASE} AS Build
            MAINTAINER someone
            RUN --mount=type=cache,target=/c <<EOF
            echo hi
            EOF
            ONBUILD RUN echo later
            COPY --from=build /a /b
            HEALTHCHECK --interval=5s CMD ["true"]
            CMD echo done
            FROM scratch
            COPY --from=Build /x /y
            FROBNICATE now
            """.write(to: dockerfile, atomically: true, encoding: .utf8)

        let s = try StdioService()
        s.sendLine(request(1, "initialize"))
        let initResult = try #require(try s.reader.json()?["result"])
        expectValid(initResult, against: try #require(method("initialize")?["result"]?["schema"]), "initialize")

        s.sendLine(request(2, "parse", ["path": .string(dockerfile.path), "progress": true]))
        var parseResult: JSONValue?
        while parseResult == nil {
            let m = try #require(try s.reader.json())
            if m["method"] == "$/progress" {
                let schema = try #require(document["x-notifications"]?.arrayValue?.first?["params"])
                expectValid(try #require(m["params"]), against: schema, "$/progress")
            } else {
                parseResult = m["result"]
            }
        }
        let result = try #require(parseResult)
        expectValid(result, against: try #require(method("parse")?["result"]?["schema"]), "parse")
        let codes = Set(result["diagnostics"]?.arrayValue?.compactMap { $0["code"]?.stringValue } ?? [])
        #expect(codes.isSuperset(of: ["unknown-instruction", "MaintainerDeprecated", "JSONArgsRecommended", "StageNameCasing"]))
        #expect(result["directives"]?.arrayValue?.count == 2)
        #expect(result["instructions"]?.arrayValue?[3]["heredocs"]?.arrayValue?.first?["content"] == "echo hi\n")

        s.sendLine(request(3, "shutdown"))
        let shut = try #require(try s.reader.json())
        expectValid(try #require(shut["result"]), against: try #require(method("shutdown")?["result"]?["schema"]), "shutdown")
    }

    @Test func documentedErrorCodesAreTheOnesUsed() throws {
        let errors = try #require(document["components"]?["errors"]?.objectValue)
        let codes = Set(errors.values.compactMap { $0["code"]?.intValue })
        #expect(codes == [-32700, -32600, -32601, -32602, -32603, -32800, -32000, -32001, -32002, -32003, -32004, -32005, -32006, -32007, -32008])
        for c in codes where c > -32100 && c <= -32000 { #expect(c >= -32099) }
    }
}
