import ArgumentParser
import Foundation

// ArgumentParser exits 64 on usage errors; hashscope's documented code for them is 2.
do {
    var command = try HashscopeCommand.parseAsRoot()
    try command.run()
} catch {
    if HashscopeCommand.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((HashscopeCommand.fullMessage(for: error) + "\n").utf8))
        exit(2)
    }
    HashscopeCommand.exit(withError: error)
}
