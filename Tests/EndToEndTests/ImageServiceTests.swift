import EstibaJSON
import Foundation
import Glibc
import Testing

/// The image methods over JSON-RPC and the image commands of the CLI, against real stores.
@Suite struct ImageServiceTests {
    func rootfs() throws -> String {
        let dir = try Paths.temporaryDirectory()
        for d in ["bin", "etc", "tmp"] { try FileManager.default.createDirectory(at: dir.appendingPathComponent(d), withIntermediateDirectories: true) }
        try "#!/bin/sh\necho hi\n".write(to: dir.appendingPathComponent("bin/hi"), atomically: true, encoding: .utf8)
        chmod(dir.appendingPathComponent("bin/hi").path, 0o755)
        try String(repeating: "x", count: 2000).write(to: dir.appendingPathComponent("etc/data"), atomically: true, encoding: .utf8)
        return dir.path
    }

    func validator() throws -> (SchemaValidator, JSONValue) {
        let data = try Data(contentsOf: Paths.repo.appendingPathComponent("Protocol/openrpc.json"))
        let doc = try JSONValue.parse(Array(data))
        return (SchemaValidator(document: doc), doc)
    }

    func resultSchema(_ doc: JSONValue, _ method: String) -> JSONValue {
        doc["methods"]?.arrayValue?.first { $0["name"]?.stringValue == method }?["result"]?["schema"] ?? .null
    }

    @Test func importListInspectHistoryTagRemoveOverJSONRPC() throws {
        let src = try rootfs()
        defer { try? FileManager.default.removeItem(atPath: src) }
        let (validator, doc) = try validator()
        let s = try StdioService()
        func call(_ id: Int, _ method: String, _ params: JSONValue) throws -> JSONValue {
            s.sendLine(request(id, method, params))
            let reply = try #require(try s.reader.json(timeout: 60))
            if let result = reply["result"] {
                let problems = validator.validate(result, resultSchema(doc, method))
                #expect(problems.isEmpty, "\(method): \(problems.prefix(3))")
            }
            return reply
        }
        let imported = try call(1, "import", ["source": .string(src), "reference": "tiny:1", "changes": [#"CMD ["/bin/hi"]"#, "ENV A=b", #"LABEL maintainer="me""#]])
        let id = try #require(imported["result"]?["Id"]?.stringValue)
        #expect(imported["result"]?["RepoTags"] == ["tiny:1"])
        #expect(imported["result"]?["Config"]?["Cmd"] == ["/bin/hi"])
        #expect(imported["result"]?["Config"]?["Labels"]?["maintainer"] == "me")
        #expect(imported["result"]?["Config"]?["Env"] == ["A=b"])

        let list = try call(2, "images", [:])
        #expect(list["result"]?["images"]?.arrayValue?.count == 1)
        #expect(list["result"]?["images"]?.arrayValue?.first?["Size"]?.intValue == Int64(2000 + "#!/bin/sh\necho hi\n".utf8.count))

        #expect(try call(3, "inspect", ["image": .string(String(id.dropFirst(7).prefix(6)))])["result"]?["Id"]?.stringValue == id)
        let history = try call(4, "history", ["image": "tiny:1"])
        #expect(history["result"]?["history"]?.arrayValue?.first?["Id"]?.stringValue == id)
        #expect(history["result"]?["history"]?.arrayValue?.first?["Comment"]?.stringValue == "Imported from \(src)")

        #expect(try call(5, "tag", ["source": "tiny:1", "target": "tiny:latest"])["result"]?["RepoTags"] == ["tiny:1", "tiny:latest"])
        let archive = "/tmp/estiba-e2e-save-\(UUID().uuidString.prefix(6)).tar"
        defer { try? FileManager.default.removeItem(atPath: archive) }
        #expect(try call(50, "save", ["images": ["tiny:1"], "path": .string(archive)])["result"]?["images"] == [.string(id)])
        #expect(try call(51, "load", ["path": .string(archive)])["result"]?["images"] == [["Id": .string(id), "RepoTags": ["tiny:1"]]])
        #expect(try call(52, "save", ["images": ["tiny:1"], "path": .string(archive), "format": "zip"]).errorCode == -32602)
        #expect(try call(6, "rmi", ["images": ["tiny:1"]])["result"]?["events"] == [["Untagged": "tiny:1"]])
        #expect(try call(7, "rmi", ["images": ["tiny"]])["result"]?["events"] == [["Untagged": "tiny:latest"], ["Deleted": .string(id)]])
        #expect(try call(8, "images", [:])["result"]?["images"] == [])
        #expect(try call(9, "verify", [:])["result"]?["problems"] == [])
        let pruned = try call(10, "prune", [:])["result"]
        #expect(pruned?["blobs"] == 0 && pruned?["buildCache"] == ["CachesDeleted": [], "SpaceReclaimed": 0])
        #expect(try call(14, "builderPrune", ["all": true, "until": "1h"])["result"] == ["CachesDeleted": [], "SpaceReclaimed": 0])
        let badAge = try call(15, "builderPrune", ["until": "soon"])
        #expect(badAge.errorCode == -32602 && badAge["error"]?["data"]?["param"] == "until", "\(badAge)")

        // Errors carry stable codes and say what to do.
        let missing = try call(11, "inspect", ["image": "nope"])
        #expect(missing.errorCode == -32001)
        #expect(missing["error"]?["data"]?["image"] == "nope")
        #expect(try call(12, "import", ["source": "/no/such/rootfs"]).errorCode == -32001)
        #expect(try call(13, "tag", ["source": "x", "target": "Bad Name"]).errorCode == -32602)
    }

    @Test func hostileArchiveIsRefusedByName() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tar = dir.appendingPathComponent("evil.tar").path
        let py = Process()
        py.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        py.arguments = ["python3", "-c", "import tarfile,io,sys\nt=tarfile.open(sys.argv[1],'w')\ni=tarfile.TarInfo('../../escape');i.size=1\nt.addfile(i,io.BytesIO(b'x'))\nt.close()", tar]
        try py.run()
        py.waitUntilExit()
        let s = try StdioService()
        s.sendLine(request(1, "import", ["source": .string(tar), "reference": "evil"]))
        let reply = try #require(try s.reader.json(timeout: 60))
        #expect(reply.errorCode == -32007)
        #expect(reply["error"]?["data"]?["entry"] == "../../escape")
    }

    @Test func cliTablesMatchDocker() throws {
        let src = try rootfs()
        let root = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: src); try? FileManager.default.removeItem(at: root) }
        func estiba(_ args: [String]) throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: Paths.estiba)
            p.arguments = ["--root", root.path] + args
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            return (p.terminationStatus, text)
        }
        let (status, id) = try estiba(["import", "-c", "CMD [\"sh\"]", src, "tiny:1"])
        #expect(status == 0)
        #expect(id.hasPrefix("sha256:") && id.count == 72)
        let short = String(id.dropFirst(7).prefix(12))
        let images = try estiba(["images"]).1.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(images[0] == "REPOSITORY   TAG       IMAGE ID       CREATED                  SIZE")
        #expect(images[1] == "tiny         1         \(short)   Less than a second ago   2.02kB" || images[1].hasPrefix("tiny         1         \(short)   "))
        #expect(images[1].hasSuffix("   2.02kB"))
        let history = try estiba(["history", "tiny:1"]).1.split(separator: "\n").map(String.init)
        #expect(history[0].hasPrefix("IMAGE          CREATED"))
        #expect(history[1].hasPrefix("\(short)   "))
        #expect(history[1].contains("2.02kB    Imported from \(src)"))
        #expect(try estiba(["history", "-q", "tiny:1"]).1 == short + "\n")
        #expect(try estiba(["inspect", "-f", "{{.Os}} {{json .Config.Cmd}} {{.RepoTags}}", "tiny:1"]).1 == "linux [\"sh\"] [tiny:1]\n")
        #expect(try estiba(["rmi", "tiny:1"]).1 == "Untagged: tiny:1\nDeleted: \(id)")
        let (missingStatus, missing) = try estiba(["inspect", "tiny:1"])
        #expect(missingStatus == 1)
        #expect(missing.contains("No such image: tiny:1"))
    }
}
