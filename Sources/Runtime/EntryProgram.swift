import CLauncher
import System

/// `estiba-entry`, the last step of starting every container command. The launcher (a copy of the engine's
/// process) finishes the set-up and looks the command up, then executes this tiny static program from a sealed
/// memfd, and it executes the command. So the process that finally runs the image's program never has the engine's
/// binary as its `/proc/self/exe`: an image whose program starts `#!/proc/self/exe` reaches only this program,
/// which refuses to run, and nothing can be written through `/proc/N/exe`. It holds only the container's standard
/// descriptors and loads no library. Its source is `EntryProgram/x86_64.s` and `aarch64.s` (whole ELF files,
/// about 400 bytes; `EntryProgram/generate.sh` turns them into `EntryImages`).
enum EntryProgram {
    /// The memfd, made once per process, or why there is none.
    static let descriptor: Result<Int32, EstibaError> = {
        #if arch(x86_64)
        let image = EntryImages.x86_64
        #elseif arch(arm64)
        let image = EntryImages.aarch64
        #else
        let image: [UInt8] = []
        #endif
        guard !image.isEmpty else {
            return .failure(EstibaError.runtime("Containers are not supported on this processor architecture yet (x86_64 and aarch64 are).", stage: "start estiba-entry"))
        }
        let fd = image.withUnsafeBufferPointer { estiba_entry_memfd($0.baseAddress, $0.count) }
        guard fd >= 0 else {
            return .failure(EstibaError.runtime("Cannot prepare estiba-entry in memory: \(ErrorNumber.text(-fd)).", stage: "start estiba-entry"))
        }
        return .success(fd)
    }()
}
