import Foundation
import TestSupport
import XCTest

/// `hashscope forward` is checked against PyTorch by scripts/parity-pytorch (outside CI: it
/// installs torch); here, its help and its refusals.
final class ForwardCommandTests: XCTestCase {
    func testHelpAndBadInputExitTwoNamingTheFile() throws {
        XCTAssertEqual(try CommandRunner.run(["forward", "--help"]).status, 0)
        let scratch = try ScratchDirectory()
        let input = try scratch.write("x.npy", Array("not numpy".utf8))
        let missing = scratch.path + "/missing.safetensors"
        let noModel = try CommandRunner.run(["forward", "--arch", "dsh", "--bits", "16", "--model", missing,
                                             "--input", input, "--out", scratch.path + "/out.safetensors"])
        XCTAssertEqual(noModel.status, 2)
        XCTAssertEqual(noModel.stderr.split(separator: "\n").count, 1, noModel.stderr)
        XCTAssertTrue(noModel.stderr.contains(input) || noModel.stderr.contains(missing), noModel.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: scratch.path + "/out.safetensors"))
        let badArch = try CommandRunner.run(["forward", "--arch", "vgg", "--bits", "16", "--model", missing,
                                             "--input", input, "--out", scratch.path + "/out.safetensors"])
        XCTAssertEqual(badArch.status, 2)
    }
}
