import Engine
import Foundation
import EstibaJSON
import JSONRPC
import Synchronization
import System
import Testing

@testable import Service

/// The method table is the service: it answers exactly what Protocol/openrpc.json documents, with the params and
/// notifications documented there, and requests go through it in-process as they do over a transport.
@Suite struct MethodTableTests {
    static let document: JSONValue = {
        let path = String(#filePath.dropLast("Tests/ServiceTests/MethodTableTests.swift".count)) + "Protocol/openrpc.json"
        guard let data = FileManager.default.contents(atPath: path), let doc = try? JSONValue.parse(Array(data)) else { return .null }
        return doc
    }()

    static var documented: [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for m in document["methods"]?.arrayValue ?? [] { if let n = m["name"]?.stringValue { out[n] = m } }
        return out
    }

    @Test func theTableIsTheDocumentedMethodList() {
        let documented = Set(Self.documented.keys)
        #expect(!documented.isEmpty)
        // `$/cancelRequest` is answered by the transport, every other method by the table.
        #expect(Set(EstibaService.methods) == documented.subtracting(["$/cancelRequest"]))
        #expect(EstibaService.methods.count == Set(EstibaService.methods).count, "a method is listed twice")
        let advertised = EstibaService.initializeResult["methods"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(Set(advertised) == documented)
    }

    @Test func eachMethodTakesExactlyItsDocumentedParams() {
        for method in EstibaService.table.methods {
            let doc = Self.documented[method.name]
            let names = Set(doc?["params"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
            #expect(method.params == names, "\(method.name)")
        }
    }

    @Test func notificationsAreTheDocumentedOnes() {
        let documented = Set(Self.document["x-notifications"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        #expect(Set(EstibaService.notifications) == documented)
        #expect(Set(EstibaService.initializeResult["notifications"]?.arrayValue?.compactMap(\.stringValue) ?? []) == documented)
    }

    @Test func requestsToTheClientAreTheDocumentedOnes() {
        let documented = Set(Self.document["x-server-requests"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [])
        #expect(Set(EstibaService.serverRequests) == documented)
    }

    /// Calls the service in-process and returns the reply and the notifications the call sent.
    static func call(_ service: EstibaService, _ method: String, _ params: JSONValue? = nil) async -> (Result<JSONValue, RPCError>, [(String, JSONValue)]) {
        let sent = Mutex<[(String, JSONValue)]>([])
        let context = RPCContext(
            connectionID: 1, requestID: .number(7), notify: { m, p in sent.withLock { $0.append((m, p)) } }, stop: { _ in })
        let result: Result<JSONValue, RPCError>
        switch service.handle(RPCRequest(id: .number(7), method: method, params: params), context: context) {
        case .done(let r): result = r
        case .doneEncoded(let text): result = Self.decode(text)
        case .deferred(let work): result = await work(context)
        case .deferredEncoded(let work): result = (await work(context)).flatMap(Self.decode)
        }
        return (result, sent.withLock { $0 })
    }

    static func decode(_ text: JSONText) -> Result<JSONValue, RPCError> {
        do { return .success(try JSONValue.parse(text.bytes)) } catch {
            return .failure(RPCError(code: -32603, message: "undecodable result"))
        }
    }

    /// A service on a store of its own under the temporary directory.
    static func service() -> EstibaService {
        let root = NSTemporaryDirectory() + "estiba-method-table-" + UUID().uuidString
        return EstibaService(engine: Engine(configuration: EngineConfiguration(root: root)))
    }

    @Test func requestsGoThroughTheTable() async throws {
        let service = Self.service()
        let (initialize, _) = await Self.call(service, "initialize", ["clientInfo": ["name": "test"], "editorOption": true])
        #expect(try initialize.get()["protocolVersion"] == .string(EstibaService.protocolVersion))

        let (parsed, _) = await Self.call(service, "parse", ["text": "FROM busybox\nRUN true\n"])
        #expect(try parsed.get()["instructions"]?.arrayValue?.count == 2)

        let (unknownParam, _) = await Self.call(service, "images", ["all": true])
        guard case .failure(let e) = unknownParam else { Issue.record("images took an unknown param"); return }
        #expect(e.code == -32602)
        #expect(e.data?["param"] == "all")

        let (unknownMethod, _) = await Self.call(service, "frobnicate")
        guard case .failure(let m) = unknownMethod else { Issue.record("an unknown method was answered"); return }
        #expect(m.code == -32601)

        let (missing, _) = await Self.call(service, "inspect", ["image": "no-such-image:latest"])
        guard case .failure(let n) = missing else { Issue.record("a missing image was found"); return }
        #expect(n.code == RPCErrorCode.notFound)
    }

    @Test func parseWithProgressSendsItsDocumentedNotification() async throws {
        let service = Self.service()
        let (parsed, sent) = await Self.call(service, "parse", ["text": "FROM busybox\n", "progress": true])
        #expect(try parsed.get()["instructions"]?.arrayValue?.count == 1)
        let parseMethod = try #require(EstibaService.table["parse"])
        #expect(!sent.isEmpty)
        for (name, params) in sent {
            #expect(parseMethod.notifications.contains(name))
            #expect(params["id"] == .int(7))
        }
    }

    @Test func afterShutdownOnlyExitIsAnswered() async throws {
        let service = Self.service()
        _ = await Self.call(service, "shutdown")
        let (after, _) = await Self.call(service, "images")
        guard case .failure(let e) = after else { Issue.record("answered after shutdown"); return }
        #expect(e.code == RPCErrorCode.shuttingDown)
    }
}

/// The service's one mapping from error classes to JSON-RPC codes.
@Suite struct ErrorMappingTests {
    @Test func eachClassHasItsDocumentedCode() {
        let expected: [EstibaError.Code: Int] = [
            .notFound: -32001, .invalidArgument: -32602, .cancelled: RPCErrorCode.requestCancelled, .io: RPCErrorCode.ioError,
            .syntax: RPCErrorCode.dockerfileSyntax, .conflict: RPCErrorCode.conflict, .alreadyExists: RPCErrorCode.conflict,
            .failedPrecondition: RPCErrorCode.conflict, .badInput: RPCErrorCode.badInput, .buildFailed: RPCErrorCode.buildFailed,
            .launchFailed: -32000, .unavailable: -32000, .internal: -32000,
        ]
        for code in EstibaError.Code.allCases {
            let e = EstibaError(code, "m", context: ["image": "busybox"]).rpcError
            #expect(e.code == expected[code], "\(code)")
            #expect(e.data?["kind"] == .string(code.rawValue))
            #expect(e.data?["image"] == "busybox")
        }
    }
}
