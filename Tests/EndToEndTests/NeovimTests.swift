import Foundation
import Testing

/// A real editor: Neovim, headless, with its built-in LSP client and the README's configuration
/// (`Clients/editors/estiba.lua`), shows Estiba's diagnostics for a Dockerfile.
@Suite struct NeovimTests {
    @Test func neovimShowsTheDiagnosticsOfADockerfile() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/nvim") else {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("Neovim is missing: .ci/install installs neovim") }
            return
        }
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dockerfile = dir.appendingPathComponent("Dockerfile").path
        try "FROM busybox as base\nRUN --network echo hi\n".write(toFile: dockerfile, atomically: true, encoding: .utf8)
        let check = dir.appendingPathComponent("check.lua").path
        let out = dir.appendingPathComponent("diagnostics.txt").path
        try """
            local ok = vim.wait(20000, function() return #vim.diagnostic.get(0) >= 3 end, 50)
            local lines = {}
            for _, d in ipairs(vim.diagnostic.get(0)) do
              table.insert(lines, string.format("%d %d %s %s", d.lnum + 1, d.severity, tostring(d.code), d.message))
            end
            table.sort(lines)
            vim.fn.writefile(lines, vim.env.OUT)
            vim.cmd("qall!")
            """.write(toFile: check, atomically: true, encoding: .utf8)
        let nvim = Process()
        let config = Paths.repo.appendingPathComponent("Clients/editors/estiba.lua").path
        let nvimArguments = ["--headless", "-u", config, "-c", "luafile \(check)", dockerfile]
        // Headless Neovim runs until told to quit: a script that fails before its qall! would leave it running.
        let (executable, arguments) = ProgramDeadline.bounded("/usr/bin/nvim", nvimArguments)
        nvim.executableURL = URL(fileURLWithPath: executable)
        nvim.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ESTIBA"] = Paths.estiba
        environment["OUT"] = out
        environment["ESTIBA_ROOT"] = dir.appendingPathComponent("store").path
        nvim.environment = environment
        nvim.standardInput = FileHandle.nullDevice
        nvim.standardOutput = FileHandle.nullDevice
        nvim.standardError = FileHandle.nullDevice
        let start = Date()
        try nvim.run()
        nvim.waitUntilExit()
        ProgramDeadline.check(since: start, "/usr/bin/nvim", nvimArguments, output: "")
        let lines = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
        #expect(
            lines == "1 2 FromAsCasing 'as' and 'FROM' keywords' casing do not match\n"
                + "1 4 image-not-local busybox is not in the store; a build pulls it (estiba pull busybox fetches it now).\n"
                + "2 1 syntax-error missing a value on flag: --network\n",
            "\(lines)")
    }
}
