import ArgumentParser
import CLIOutput
import Engine
import EstibaJSON
import System

struct ParseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse a Dockerfile and print its AST, stages and diagnostics.",
        discussion: "Exits 1 when the Dockerfile has errors. FILE '-' reads standard input.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json, dump
    }

    @Argument(help: "The Dockerfile to parse.")
    var file: String

    @Option(name: .long, help: "json: the parse result as JSON; dump: BuildKit's AST dump format.")
    var format: Format = .json

    func run() async throws {
        let engine = Engine()
        let report: ParseReport
        do {
            report = try await engine.parse(file == "-" ? .text(Self.readStandardInput()) : .path(file))
        } catch {
            FileDescriptorOutput.stderr("estiba: \(error.message)\n")
            throw ExitCode(1)
        }
        let name = file == "-" ? "Dockerfile" : file
        switch format {
        case .json:
            let text = await ParseEncoding.encodeConcurrently(report)
            var out = ((try? JSONValue.parse(text.bytes)) ?? .null).encodedPretty(indent: 2)
            out.append(UInt8(ascii: "\n"))
            FileDescriptorOutput.stdout(String(decoding: out, as: UTF8.self))
            if report.analysis.hasErrors { throw ExitCode(1) }
        case .dump:
            let parsed = report.analysis.parsed
            if let e = parsed.errors.first(where: { $0.code != "unknown-instruction" }) {
                FileDescriptorOutput.stderr("estiba: \(name):\(e.startLine): \(e.message)\n")
                throw ExitCode(1)
            }
            FileDescriptorOutput.stdout(parsed.dump())
        }
        for w in report.analysis.diagnostics where w.severity == .warning && format == .dump {
            FileDescriptorOutput.stderr("[WARNING]: \(name):\(w.startLine): \(w.message)\n")
        }
    }

    static func readStandardInput() -> String {
        String(decoding: (try? FileDescriptor.standardInput.readAll()) ?? [], as: UTF8.self)
    }
}
