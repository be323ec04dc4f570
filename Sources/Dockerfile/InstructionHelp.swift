/// What each instruction and flag does, in a sentence or two, with the reference page that says more: the text
/// an editor shows on hover and beside completions.
public enum InstructionHelp {
    /// The Dockerfile reference's section for `keyword`.
    public static func link(_ keyword: InstructionKeyword) -> String {
        "https://docs.docker.com/reference/dockerfile/#\(keyword.rawValue)"
    }

    /// What `keyword` does.
    public static func summary(_ keyword: InstructionKeyword) -> String {
        switch keyword {
        case .from: return "Starts a build stage from a base image (or `scratch`, or an earlier stage); `AS name` names the stage for `COPY --from` and `--target`."
        case .run: return "Runs a command in a container on the image so far and keeps the files it changes as a new layer."
        case .cmd: return "Sets the command a container runs when none is given; with ENTRYPOINT, its default arguments. Only the last CMD counts."
        case .label: return "Adds `key=value` metadata to the image."
        case .maintainer: return "Names the image's author; deprecated: use `LABEL org.opencontainers.image.authors=…`."
        case .expose: return "Documents the ports (`80`, `53/udp`) the container listens on; it publishes nothing by itself."
        case .env: return "Sets environment variables (`key=value`) for the rest of the stage and for containers from the image."
        case .add: return "Copies files from the context into the image, like COPY, and also unpacks local tar archives and fetches URLs."
        case .copy: return "Copies files or directories from the build context (or another stage or image with `--from`) into the image."
        case .entrypoint: return "Sets the program a container always runs; CMD and `docker run` arguments are passed to it."
        case .volume: return "Marks paths as volumes: a container gets a fresh volume there, filled from the image."
        case .user: return "Sets the user (and group) that later RUN, CMD and ENTRYPOINT run as."
        case .workdir: return "Sets the working directory for later instructions and containers, creating it when missing."
        case .arg: return "Declares a build argument, with an optional default, that `--build-arg` may set; in scope until the stage ends (declared before FROM: for FROM lines)."
        case .onbuild: return "Records an instruction that runs when another image is built FROM this one."
        case .stopSignal: return "Sets the signal that stops a container (default SIGTERM)."
        case .healthcheck: return "Sets how to check that a container is still working (`CMD …`), or turns an inherited check off (`NONE`)."
        case .shell: return "Sets the shell (JSON form) that shell-form RUN, CMD and ENTRYPOINT use."
        }
    }

    /// What flag `--name` of `keyword` does; nil for a flag the instruction does not take.
    public static func flag(_ name: String, of keyword: InstructionKeyword) -> String? {
        guard FlagRules.flags(of: keyword)[name] != nil else { return nil }
        switch (keyword, name) {
        case (.from, "platform"): return "The platform (`linux/arm64`) of the base image to use."
        case (.run, "mount"): return "Mounts a cache, secret, SSH agent, bind or tmpfs for this command only (`type=cache,target=/root/.cache`)."
        case (.run, "network"): return "The network the command gets: `default`, `none` or `host`."
        case (.run, "security"): return "`sandbox` (default) or `insecure` (needs the builder's entitlement)."
        case (.run, "device"): return "Makes a device available to the command."
        case (_, "from"): return "Copies from an earlier stage (by name or index) or from an image instead of the context."
        case (_, "chown"): return "The owner (`user:group`, names or IDs) of the copied files."
        case (_, "chmod"): return "The mode (`0644`, or symbolic) of the copied files."
        case (_, "link"): return "Copies into an independent layer, so the copy survives a change of the base image in the cache."
        case (_, "parents"): return "Keeps the source's parent directories under the destination."
        case (_, "exclude"): return "Leaves out the paths that match this pattern."
        case (.add, "keep-git-dir"): return "Keeps the `.git` directory of a Git source."
        case (.add, "checksum"): return "The digest (`sha256:…`) a remote source must have."
        case (.add, "unpack"): return "Whether to unpack an archive source (local archives are unpacked by default, URLs are not)."
        case (.healthcheck, "interval"): return "Time between checks (default 30s)."
        case (.healthcheck, "timeout"): return "Time one check may take before it counts as failed (default 30s)."
        case (.healthcheck, "start-period"): return "Time after start during which failures do not count (default 0s)."
        case (.healthcheck, "start-interval"): return "Time between checks during the start period (default 5s)."
        case (.healthcheck, "retries"): return "Failures in a row that make the container unhealthy (default 3)."
        case (.arg, "required"): return "The build fails unless a value is given with `--build-arg`."
        default: return nil
        }
    }
}
