import System

/// Docker's question before a prune: the warning and ` [y/N] ` on standard output, then one line of standard
/// input; only `y` or `Y` goes on (end of input is no).
enum Confirmation {
    static func ask(_ warning: String) -> Bool {
        FileDescriptorOutput.stdout(warning + " [y/N] ")
        var line: [UInt8] = []
        while line.count < 1024, let byte = (try? FileDescriptor.standardInput.read(upTo: 1))?.first, byte != UInt8(ascii: "\n") {
            line.append(byte)
        }
        let answer = line.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r") }
        return answer == [UInt8(ascii: "y")] || answer == [UInt8(ascii: "Y")]
    }
}
