import Foundation
import Testing

/// `run -it` and `exec -it` on a real terminal: the container's terminal has the user's window size from the moment
/// its command starts, so a command that reads it at once sees it.
@Suite(.serialized) struct TerminalSizeTests {
    @Test func runAndExecGiveTheWindowSizeFromTheStart() throws {
        let cli = try #require(try RuntimeTests().busyboxStore(), "these tests need root and /bin/busybox")
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: cli.root).deletingLastPathComponent().path) }
        let estiba = [Paths.estiba, "--root", cli.root]
        for run in 1...10 {
            let screen = try SizedPty.run(estiba + ["run", "--rm", "-it", "busybox", "stty", "size"], rows: 37, columns: 101)
            #expect(screen == "37 101\r\nEXIT=0\n", "run \(run)")
        }
        var r = try cli.run(["run", "-d", "--name", "sized", "busybox", "sleep", "60"])
        #expect(r.status == 0, "\(r.output)")
        defer { _ = try? cli.run(["rm", "-f", "sized"]) }
        for run in 1...10 {
            let screen = try SizedPty.run(estiba + ["exec", "-it", "sized", "stty", "size"], rows: 37, columns: 101)
            #expect(screen == "37 101\r\nEXIT=0\n", "exec \(run)")
        }
        r = try cli.run(["rm", "-f", "sized"])
        #expect(r.status == 0, "\(r.output)")
    }
}

/// Runs a program on a pseudo-terminal sized `rows`×`columns` before the program starts, with nothing typed;
/// returns everything it wrote and then `EXIT=<code>`.
enum SizedPty {
    static func run(_ argv: [String], rows: Int, columns: Int) throws -> String {
        let script = #"""
            import os, pty, sys, json, fcntl, struct, termios
            argv = json.loads(sys.argv[1]); rows = int(sys.argv[2]); columns = int(sys.argv[3])
            pid, fd = pty.fork()
            if pid == 0:
                fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
                os.execv(argv[0], argv)
            out = b""
            while True:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            _, status = os.waitpid(pid, 0)
            sys.stdout.write(out.decode(errors="replace") + "EXIT=%d\n" % os.waitstatus_to_exitcode(status))
            """#
        let encoded = try JSONSerialization.data(withJSONObject: argv)
        return try python3(script, [String(decoding: encoded, as: UTF8.self), String(rows), String(columns)])
    }
}
