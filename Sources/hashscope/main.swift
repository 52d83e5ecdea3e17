import ArgumentParser
import Foundation

// Exit codes are mapped here once: 0 ok, 1 partial failure, 2 usage or total failure (ArgumentParser's
// own 64 for usage errors becomes 2), 130 interrupted. A check that fails in validate() and an error
// a command lets through are one line, "hashscope: ...", naming the file or option.
do {
    var command = try HashscopeCommand.parseAsRoot()
    try command.run()
} catch let error as CommandError {
    Diagnostics.error(error.message)
    exit(error.exitCode)
} catch let error as ExitCode {
    exit(error.rawValue)
} catch let error as CleanExit {
    HashscopeCommand.exit(withError: error)
} catch {
    if HashscopeCommand.exitCode(for: error) == .validationFailure {
        Diagnostics.error(HashscopeCommand.message(for: error) + " (see --help)")
        exit(2)
    }
    // An error from the services or a reader: its description names the file and the problem.
    if error is LocalizedError {
        Diagnostics.error(error.localizedDescription.split(whereSeparator: \.isNewline).joined(separator: " "))
        exit(2)
    }
    HashscopeCommand.exit(withError: error)
}
