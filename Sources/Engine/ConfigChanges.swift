import Builder
import ImageStore
import System

/// `docker import --change` and `docker commit --change`: Dockerfile instructions applied to an image's
/// run-time config by the builder's rules (`ChangeInstructions`).
enum ConfigChanges {
    static func apply(_ lines: [String], to config: inout ContainerConfig) throws(EstibaError) {
        do { try ChangeInstructions.apply(lines, to: &config) } catch {
            throw error.recoded(.invalidArgument).adding(["change": error.instruction ?? ""])
        }
    }
}
