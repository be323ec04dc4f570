import System

/// The process `exec` starts in a running container: the container's own (its root, namespaces, environment and
/// security) with another command, more environment, and another user, working directory or terminal (and its
/// size from the start).
extension ContainerSetup {
    /// `container` is the spec its bundle describes; `user` is looked up in its root.
    public static func exec(
        in container: ContainerSpec, command: [String], environment: [String], user: String?, workingDirectory: String?, tty: Bool,
        terminalSize: TerminalSize? = nil
    ) throws(EstibaError) -> ContainerSpec {
        var spec = container
        spec.arguments = command
        spec.environment = merge(container.environment, environment)
        if let workingDirectory { spec.workingDirectory = workingDirectory }
        if let user {
            let resolved = try UserResolver.resolve(user, layers: [container.root.upper] + container.root.parents)
            spec.user = (resolved.uid, resolved.gid, resolved.groups)
        }
        spec.terminal = tty
        spec.terminalSize = tty ? terminalSize : nil
        return spec
    }
}
