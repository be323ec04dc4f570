import ArgumentParser
import Engine

extension SystemCommand {
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
}
