import ArgumentParser
import Engine
import System

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Make an image from a root filesystem (a directory or a tar archive; '-' reads stdin).")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Apply a Dockerfile instruction to the config (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR).")
    var change: [String] = []
    @Option(name: [.short, .long], help: "Set the commit message of the imported image.")
    var message: String?
    @Argument(help: "Directory or tar archive (plain, gzip, zstd, xz, bzip2), or '-'.") var source: String
    @Argument(help: "NAME[:TAG] to tag the image with.") var reference: String?

    func run() async throws {
        var path = source
        var temporary: String?
        if source == "-" {
            let copy = try Self.copyStandardInput()
            temporary = copy
            path = copy
        }
        defer { if let temporary { try? Files.remove(temporary) } }
        do {
            let image = try await global.engine().importImage(
                source: path, reference: reference, changes: change, message: message ?? (source == "-" ? "Imported from -" : nil))
            FileDescriptorOutput.stdout(image.id.description + "\n")
        } catch { throw fail(error) }
    }

    /// Standard input, copied to a new private file in the temporary directory; returns its path.
    static func copyStandardInput() throws -> String {
        let directory = Environment.value("TMPDIR").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        do throws(EstibaError) {
            let (file, path) = try Files.makeTemporaryFile(in: directory, prefix: "estiba-import-")
            var reader = ChunkReader(FileDescriptor.standardInput)
            do throws(EstibaError) {
                while let chunk = try reader.next() { try file.writeAll(chunk) }
            } catch {
                try? Files.remove(path)
                throw error
            }
            return path
        } catch {
            throw fail(EstibaError(.io, "Cannot copy standard input to a temporary file: \(error.message) Set TMPDIR to a directory with room.", context: ["source": "-"]))
        }
    }
}
