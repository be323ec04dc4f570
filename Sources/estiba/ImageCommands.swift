import ArgumentParser
import CLIOutput
import Engine
import EstibaJSON
import Glibc
import ImageStore
import Service

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

struct ImagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "images", abstract: "List images.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Option(name: .long, help: "'json' for one JSON object per image.") var format: String?

    func run() async throws {
        let images: [ImageSummary]
        do { images = try await global.engine().images() } catch { throw fail(error) }
        if format == "json" {
            for s in images { FileDescriptorOutput.stdout(ImageEncoding.summary(s).encodedString() + "\n") }
            return
        }
        var rows: [[String]] = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]]
        var seenIDs: Set<Digest> = []
        for s in images {
            let r = s.image
            let id = noTrunc ? r.id.description : r.id.short
            if quiet {
                if seenIDs.insert(r.id).inserted { FileDescriptorOutput.stdout(id + "\n") }
                continue
            }
            let refs: [(String, String)] = r.references.isEmpty ? [("<none>", "<none>")] : r.references.map { ($0.name, $0.tag) }
            for (repo, tag) in refs {
                rows.append([repo, tag, id, DockerFormat.createdSince(r.config.created), DockerFormat.humanSize(r.size)])
            }
        }
        if !quiet { FileDescriptorOutput.stdout(DockerFormat.table(rows)) }
    }
}

struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show images' or containers' details as JSON.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "A template like '{{.Config.Labels}}' or '{{json .RootFS}}'.") var format: String?
    @Argument(help: "Image names or IDs.") var images: [String]

    func run() async throws {
        let engine = global.engine()
        var results: [JSONValue] = []
        var failed = false
        for spec in images {
            do {
                results.append(ImageEncoding.inspect(try await engine.inspectImage(spec), root: engine.configuration.root))
            } catch {
                // Not an image: maybe a container (docker inspect takes both).
                if let c = try? engine.containers().first(where: { $0.name == spec || $0.id.hasPrefix(spec) }) {
                    results.append(ImageEncoding.containerInspect(c, root: engine.configuration.root))
                    continue
                }
                FileDescriptorOutput.stderr("Error: \(error.message)\n")
                failed = true
            }
        }
        if let format {
            for r in results { FileDescriptorOutput.stdout(Template.render(format, r) + "\n") }
        } else {
            FileDescriptorOutput.stdout(String(decoding: JSONValue.array(results).encodedPretty(indent: 4), as: UTF8.self) + "\n")
        }
        if failed { throw ExitCode(1) }
    }
}

struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "history", abstract: "Show the history of an image.")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .customLong("no-trunc"), help: "Don't truncate output.") var noTrunc = false
    @Flag(name: .shortAndLong, help: "Only show image IDs.") var quiet = false
    @Option(name: [.customShort("H"), .customLong("human")], help: "Print sizes and dates in human readable format.")
    var human: Bool = true
    @Argument(help: "Image name or ID.") var image: String

    func run() async throws {
        let rows: [HistoryRow]
        do { rows = try await global.engine().history(image) } catch { throw fail(error) }
        func id(_ r: HistoryRow) -> String { r.imageID.map { noTrunc ? $0.description : $0.short } ?? "<missing>" }
        if quiet {
            for r in rows { FileDescriptorOutput.stdout(id(r) + "\n") }
            return
        }
        var table: [[String]] = [["IMAGE", human ? "CREATED" : "CREATED AT", "CREATED BY", "SIZE", "COMMENT"]]
        for r in rows {
            let createdBy = String(r.createdBy.map { $0 == "\t" ? " " : $0 })
            table.append([
                id(r), human ? DockerFormat.createdSince(r.created) : (r.created?.rfc3339Seconds ?? ""),
                noTrunc ? createdBy : DockerFormat.ellipsis(createdBy, 45),
                human ? DockerFormat.humanSize(r.size) : String(r.size), r.comment,
            ])
        }
        FileDescriptorOutput.stdout(DockerFormat.table(table))
    }
}

struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Create a tag TARGET that refers to SOURCE.")
    @OptionGroup var global: GlobalOptions
    @Argument var source: String
    @Argument var target: String

    func run() async throws {
        do { _ = try await global.engine().tag(source: source, target: target) } catch { throw fail(error) }
    }
}

struct RmiCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rmi", abstract: "Remove images (or only tags, like docker).")
    @OptionGroup var global: GlobalOptions
    @Flag(name: .shortAndLong, help: "Remove even when tagged several times or used by containers.") var force = false
    @Argument var images: [String]

    func run() async throws {
        do {
            for e in try await global.engine().removeImages(images, force: force) { FileDescriptorOutput.stdout("\(e)\n") }
        } catch { throw fail(error) }
    }
}

struct SystemCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system", abstract: "Check and clean the store.", subcommands: [Verify.self, Prune.self, DiskUsage.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify", abstract: "Re-hash every blob and check every reference.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let r: VerifyReport
            do { r = try await global.engine().verifyStore() } catch { throw fail(error) }
            for p in r.problems { FileDescriptorOutput.stdout(p + "\n") }
            FileDescriptorOutput.stdout("\(r.blobsChecked) blobs checked, \(r.problems.count) problems\n")
            if !r.problems.isEmpty { throw ExitCode(1) }
        }
    }

    struct Prune: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "prune", abstract: "Remove blobs and layers no image uses.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let r: PruneReport
            do { r = try await global.engine().pruneStore() } catch { throw fail(error) }
            FileDescriptorOutput.stdout("Deleted \(r.blobs) blobs and \(r.snapshots) layers\nTotal reclaimed space: \(DockerFormat.humanSize(r.bytes))\n")
        }
    }

    struct DiskUsage: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "df", abstract: "Show the space images use, shared and unique.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let images: [ImageSummary]
            do { images = try await global.engine().images() } catch { throw fail(error) }
            var rows: [[String]] = [["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE", "SHARED SIZE", "UNIQUE SIZE"]]
            for s in images {
                let r = s.image
                let refs: [(String, String)] = r.references.isEmpty ? [("<none>", "<none>")] : r.references.map { ($0.name, $0.tag) }
                for (repo, tag) in refs {
                    rows.append([
                        repo, tag, r.id.short, DockerFormat.createdSince(r.config.created), DockerFormat.humanSize(r.size),
                        DockerFormat.humanSize(s.sharedSize), DockerFormat.humanSize(s.uniqueSize),
                    ])
                }
            }
            FileDescriptorOutput.stdout("Images space usage:\n\n" + DockerFormat.table(rows))
        }
    }
}

extension Timestamp {
    /// RFC 3339 without the fraction, as `docker history -H=false` prints.
    var rfc3339Seconds: String { Timestamp(seconds: seconds).rfc3339 }
}

struct SaveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "save", abstract: "Save images to an archive (docker-archive by default).")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "Write to this file (or directory for oci-dir).") var output: String
    @Option(name: .long, help: "docker-archive, oci-archive or oci-dir.") var format: String = ArchiveFormat.dockerArchive.rawValue
    @Argument(help: "Image names or IDs.") var images: [String]

    func run() async throws {
        guard let f = ArchiveFormat(rawValue: format) else {
            throw ValidationError("--format must be one of \(ArchiveFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
        }
        do { _ = try await global.engine().save(images, to: output, format: f) } catch { throw fail(error) }
    }
}

struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "load", abstract: "Load images from an archive or OCI layout.")
    @OptionGroup var global: GlobalOptions
    @Option(name: [.short, .long], help: "docker-archive (current or legacy), OCI archive, or OCI layout directory.") var input: String

    func run() async throws {
        do {
            for l in try await global.engine().load(from: input) {
                if l.references.isEmpty {
                    FileDescriptorOutput.stdout("Loaded image ID: \(l.image.id)\n")
                } else {
                    for r in l.references { FileDescriptorOutput.stdout("Loaded image: \(r)\n") }
                }
            }
        } catch { throw fail(error) }
    }
}
