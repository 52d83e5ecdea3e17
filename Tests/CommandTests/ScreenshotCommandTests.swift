import Basics
import Foundation
import TestSupport
import XCTest

/// `tui --screenshot`: the explorer's first screen on the embedded demo as a PNG, without a
/// terminal (the README's picture is made this way).
final class ScreenshotCommandTests: XCTestCase {
    func testTheScreenshotDecodesFollowsTheScreenSizeAndShowsTheStatusLine() throws {
        let scratch = try ScratchDirectory()
        let cache = ["XDG_CACHE_HOME": scratch.path + "/cache", "HOME": scratch.path]
        let file = scratch.path + "/shot.png"
        let result = try CommandRunner.run(["tui", "--screenshot", file, "--screen-size", "90x28"],
                                           environment: ProcessInfo.processInfo.environment.merging(cache) { _, new in new })
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("90 x 28 cells, 1080 x 672 pixels"), result.stdout)
        let image = try ImageDecoder.decode(file: file)
        XCTAssertEqual(image.width, 90 * 12)
        XCTAssertEqual(image.height, 28 * 24)
        // The status line (second row from the bottom: P@12, AP, timings) has text on it.
        func inkPixels(row: Int) -> Int {
            var count = 0
            for y in row * 24..<(row + 1) * 24 {
                for x in 0..<image.width {
                    let p = image[x, y]
                    if Int(p.r) + Int(p.g) + Int(p.b) > 3 * 0x40 { count += 1 }
                }
            }
            return count
        }
        XCTAssertGreaterThan(inkPixels(row: 26), 500, "the status line is blank")
        XCTAssertGreaterThan(inkPixels(row: 27), 500, "the key line is blank")

        // Without --screen-size and without a terminal, $COLUMNS x $LINES decide.
        let sized = try CommandRunner.run(["tui", "--screenshot", file],
                                          environment: ProcessInfo.processInfo.environment.merging(
                                            cache.merging(["COLUMNS": "84", "LINES": "26"]) { _, new in new }) { _, new in new })
        XCTAssertEqual(sized.status, 0, sized.stderr)
        let resized = try ImageDecoder.decode(file: file)
        XCTAssertEqual([resized.width, resized.height], [84 * 12, 26 * 24])
    }

    func testBadScreenshotOptionsExitTwoWithOneLine() throws {
        for (arguments, message) in [
            (["--screenshot", "/nonexistent-folder/shot.png"], "/nonexistent-folder/shot.png: the folder /nonexistent-folder does not exist"),
            (["--screenshot", "/tmp/shot.png", "--screen-size", "10x5"], "--screen-size must be COLSxROWS"),
            (["--screen-size", "90x28"], "--screen-size needs --screenshot"),
        ] {
            let result = try CommandRunner.run(["tui"] + arguments)
            XCTAssertEqual(result.status, 2, "\(arguments): \(result.stderr)")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.hasPrefix("hashscope: ") && result.stderr.contains(message), result.stderr)
        }
    }
}
