import Foundation
import Glibc
import TestSupport
import XCTest

/// The real binary in a real terminal: tmux runs a shell, the shell runs `hashscope tui` on the
/// tiny gallery with a 1-epoch CBAM model (it has attention, so the heatmap can be toggled),
/// and the test reads the captured pane after each key.
final class TUICommandTests: XCTestCase {
    nonisolated(unsafe) private static var cbamModel: String?

    /// A tiny cbam model (trained once per process) beside TrainedTinyModel's gallery.
    private func fixture() throws -> (TrainedTinyModel, String) {
        let tiny = try TrainedTinyModel.get()
        if let model = Self.cbamModel { return (tiny, model) }
        let model = tiny.scratch.path + "/cbam.safetensors"
        let train = try tiny.run(["train", "--arch", "cbam", "--bits", "16", "--dataset", tiny.gallery, "--protocol", "cifar10-full",
                                  "--epochs", "1", "--batch", "8", "--seed", "3", "--out", model])
        XCTAssertEqual(train.status, 0, train.stderr)
        Self.cbamModel = model
        return (tiny, model)
    }

    func testWithoutATerminalItSaysSoAndExits2() throws {
        let (tiny, model) = try fixture()
        let result = try tiny.run(["tui", "--model", model, "--gallery", tiny.gallery])
        XCTAssertEqual(result.status, 2)
        XCTAssertTrue(result.stderr.contains("terminal"), result.stderr)
        XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, "one line: \(result.stderr)")
    }

    func testNoArgumentsIsTheTUIOnTheEmbeddedDefault() throws {
        // Without a terminal it stops at the terminal check, after finding the embedded model.
        let result = try CommandRunner.run([])
        XCTAssertEqual(result.status, 2, result.stderr)
        XCTAssertTrue(result.stderr.contains("needs a terminal"), result.stderr)
        let help = try CommandRunner.run(["--help"])
        XCTAssertTrue(help.stdout.contains("tui (default)"), help.stdout)
    }

    func testSessionInTmux256Colours() throws {
        try runSession(term: "tmux-256color")
    }

    func testSessionInTmuxTruecolor() throws {
        try runSession(term: "tmux-direct")
    }

    func testTheDefaultScreenShowsTiesAndTheNewKeysWork() throws {
        // The demo gallery's codes tie a lot: the neighbours say which group they belong to and
        // the status line gives P@n and AP over every order of the tied items beside the field's.
        let tiny = try TrainedTinyModel.get()
        let tmux = try Tmux(scratch: tiny.scratch, columns: 120, rows: 40)
        defer { tmux.kill() }
        tmux.send(literal: "export TERM=tmux-256color XDG_CACHE_HOME=\(tiny.scratch.path)/cache; \(CommandRunner.executable.path)")
        tmux.send(key: "Enter")
        let screen = try tmux.wait("the first results") { $0.contains("P@12 ") && !$0.contains("working...") }
        XCTAssertTrue(screen.contains("Top 12 of 2000"), screen)
        XCTAssertNotNil(screen.range(of: #"d0 \d+/\d+ "#, options: .regularExpression), "tie ranks under the thumbnails:\n\(screen)")
        XCTAssertNotNil(screen.range(of: #"d0: \d+ of \d+ tied"#, options: .regularExpression), "the group in the title:\n\(screen)")
        XCTAssertNotNil(screen.range(of: #"P@12 [01]\.\d{3} \(ties [01]\.\d{3}\)"#, options: .regularExpression), screen)
        XCTAssertNotNil(screen.range(of: #"AP [01]\.\d{4} \(ties [01]\.\d{4}\)"#, options: .regularExpression), screen)

        // `i`: the code health panel prints what `index info` prints for the demo's index.
        tmux.send(literal: "i")
        let panel = try tmux.wait(for: "any key closes this panel", "the code health panel")
        let info = try CommandRunner.run(["index", "info", TestPaths.repository.appendingPathComponent("assets/demo-cifar10/cifar10-scratch-48.hsix").path])
        XCTAssertEqual(info.status, 0, info.stderr)
        let figures = info.stdout.split(separator: "\n").suffix(4)
        XCTAssertTrue(figures.first?.hasPrefix("2000 codes x 48 bits, ") == true, info.stdout)
        for line in figures { XCTAssertTrue(panel.contains(line), "'\(line)' missing from the panel:\n\(panel)") }
        XCTAssertTrue(panel.contains("not relevant:") && panel.contains("Hamming distance"), panel)
        tmux.send(literal: "x")
        _ = try tmux.waitUntilGone("any key closes this panel", "panel closed")

        // `H`: the neighbours under their own attention maps (cbam has attention).
        tmux.send(literal: "H")
        _ = try tmux.wait("the neighbours' heatmaps") { $0.contains("their attention") && !$0.contains("working...") }
        tmux.send(literal: "H")

        // `v`: the next model on the demo gallery (after the default, in `hashscope models` order)
        // answers the same query below, with its own P@n, tie-aware P@n and AP; neighbours only
        // one model returned are starred.
        tmux.send(literal: "v")
        let lowerHeader = #"B cifar10-[a-z0-9-]+ P@12 [01]\.\d{3} \(ties [01]\.\d{3}\) AP [01]\.\d{4}"#
        let split = try tmux.wait("the comparison") {
            $0.range(of: lowerHeader, options: .regularExpression) != nil && !$0.contains("working...")
        }
        XCTAssertTrue(split.contains("A cifar10-scratch-48: Top 12 of 2000"), split)
        XCTAssertNotNil(split.range(of: #"P@12 [01]\.\d{3} \(ties"#, options: .regularExpression), "A's own P@n in the status line:\n\(split)")
        tmux.send(literal: "v")
        _ = try tmux.waitUntilGone("A cifar10-scratch-48:", "the comparison closed")
        tmux.send(literal: "q")
    }

    private func runSession(term: String) throws {
        let (tiny, model) = try fixture()
        let tmux = try Tmux(scratch: tiny.scratch, columns: 120, rows: 40)
        defer { tmux.kill() }
        tmux.send(literal: "export TERM=\(term) XDG_CACHE_HOME=\(tiny.scratch.path)/cache; "
                  + "\(CommandRunner.executable.path) tui --model \(model) --gallery \(tiny.gallery) --save-dir \(tiny.scratch.path)")
        tmux.send(key: "Enter")

        // The status line is written last: once it shows P@12 and no work is pending, the frame is whole.
        func settled(_ screen: String) -> Bool { screen.contains("P@12 ") && !screen.contains("working...") }
        var screen = try tmux.wait("the first results", until: settled)
        XCTAssertTrue(screen.contains("Top 12 of 50"), screen)
        XCTAssertTrue(screen.contains("+1 d") || screen.contains("x1 d"), "rank 1 with its distance:\n\(screen)")
        XCTAssertTrue(screen.contains("class"), "labels shown:\n\(screen)")
        XCTAssertTrue(screen.contains("P@12 "), "precision shown:\n\(screen)")
        XCTAssertTrue(screen.contains("(cbam, 16 bits)"), screen)

        tmux.send(literal: "r")
        screen = try tmux.wait(for: "bend: rotate:15", "the rotated query")
        XCTAssertTrue(screen.contains("bent"), screen)

        tmux.send(literal: "h")
        screen = try tmux.wait(for: "attention", "the heatmap")

        tmux.send(literal: "?")
        screen = try tmux.wait(for: "any key closes this help", "the help")
        XCTAssertTrue(screen.contains("rotate the query +15 / -15 degrees"), screen)
        tmux.send(literal: "x")
        screen = try tmux.waitUntilGone("any key closes this help", "help closed")

        tmux.resize(columns: 80, rows: 24)
        screen = try tmux.wait("the results at 80 x 24") { settled($0) && $0.contains("Top 12 of 50") && !$0.contains("? help ") }
        XCTAssertEqual(screen.split(separator: "\n", omittingEmptySubsequences: false).count >= 24, true)
        tmux.resize(columns: 60, rows: 20)
        screen = try tmux.wait(for: "needs a terminal of at least 80 x 24", "the size warning")
        for (c, r) in [(100, 30), (70, 22), (120, 40), (90, 26), (120, 40)] { tmux.resize(columns: c, rows: r) }
        screen = try tmux.wait("the results after a storm of resizes") { settled($0) && $0.contains("? help ") }
        XCTAssertFalse(screen.contains("needs a terminal"), screen)

        tmux.send(literal: "q")
        tmux.send(literal: "stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo -e icanon -e -icanon; echo SHELL-IS-BACK")
        tmux.send(key: "Enter")
        screen = try tmux.wait(for: "\nSHELL-IS-BACK\n", "the shell after quit")
        // The two lines before the marker are stty's modes: "echo" and "icanon", not "-echo" / "-icanon".
        let lines = screen.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let marker = try XCTUnwrap(lines.lastIndex(of: "SHELL-IS-BACK"), screen)
        XCTAssertEqual(Set(lines[(marker - 2)..<marker]), ["echo", "icanon"], "echo and canonical mode restored:\n\(screen)")
    }
}

/// A private tmux server (its own socket) running a plain shell, for end-to-end tests.
struct Tmux {
    let socket: String
    let session = "hashscope-test"

    init(scratch: ScratchDirectory, columns: Int, rows: Int) throws {
        socket = scratch.path + "/tmux-\(UUID().uuidString.prefix(8))"
        let status = Self.tmux(["-S", socket, "-f", "/dev/null", "new-session", "-d", "-s", session, "-x", "\(columns)", "-y", "\(rows)",
                                "env -i PATH=/usr/bin:/bin HOME=\(scratch.path) PS1='$ ' bash --norc --noprofile"])
        guard status == 0 else {
            XCTFail("tmux could not start a session (scripts/setup installs tmux)")
            throw CancellationError()
        }
    }

    func send(literal text: String) { Self.tmux(["-S", socket, "send-keys", "-t", session, "-l", text]) }
    func send(key: String) { Self.tmux(["-S", socket, "send-keys", "-t", session, key]) }
    func resize(columns: Int, rows: Int) { Self.tmux(["-S", socket, "resize-window", "-t", session, "-x", "\(columns)", "-y", "\(rows)"]) }
    func kill() { Self.tmux(["-S", socket, "kill-server"]) }

    func capture() -> String {
        let path = socket + ".pane"
        Self.tmux(["-S", socket, "capture-pane", "-p", "-t", session], output: path)
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// The pane once it contains `text` (polled for up to `seconds`); fails with the pane otherwise.
    func wait(for text: String, _ what: String, seconds: Double = 60) throws -> String {
        try wait(what, seconds: seconds) { $0.contains(text) }
    }

    func waitUntilGone(_ text: String, _ what: String, seconds: Double = 20) throws -> String {
        try wait(what, seconds: seconds) { !$0.contains(text) }
    }

    func wait(_ what: String, seconds: Double = 60, until done: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(seconds)
        var screen = capture()
        while !done(screen) {
            guard Date() < deadline else {
                XCTFail("timed out waiting for \(what); the pane:\n\(screen)")
                throw CancellationError()
            }
            Thread.sleep(forTimeInterval: 0.1)
            screen = capture()
        }
        return screen
    }

    /// Runs tmux through posix_spawn and waitpid (Foundation's Process can miss the exit of a
    /// client whose server daemonises), its output to `output` or /dev/null.
    @discardableResult
    static func tmux(_ arguments: [String], output: String = "/dev/null") -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = (["tmux"] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid = pid_t()
        guard posix_spawnp(&pid, "tmux", &actions, nil, argv, environ) == 0 else { return -1 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -1
    }
}
