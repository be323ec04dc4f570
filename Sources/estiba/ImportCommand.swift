import ArgumentParser
import Engine
import Glibc

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
            temporary = "/tmp/estiba-import-\(getpid()).tar"
            path = temporary ?? path
            try copyStandardInput(to: path)
        }
        defer { if let temporary { unlink(temporary) } }
        do {
            let image = try await global.engine().importImage(
                source: path, reference: reference, changes: change, message: message ?? (source == "-" ? "Imported from -" : nil))
            FileDescriptorOutput.stdout(image.id.description + "\n")
        } catch { throw fail(error) }
    }

    func copyStandardInput(to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail(EngineError(.io, "Cannot create \(path).")) }
        defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            if n <= 0 { break }
            _ = buf.withUnsafeBytes { write(fd, $0.baseAddress, n) }
        }
    }
}
