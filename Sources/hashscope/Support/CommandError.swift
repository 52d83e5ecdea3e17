import Foundation

/// Something the user can fix, found while a command runs (an unknown name, a folder that does
/// not exist, a gallery that does not fit): one line on stderr and `exitCode` (2: usage or total
/// failure, 1: partial failure). main.swift maps it, and every other error a command lets
/// through (the services', the readers'), in one place.
struct CommandError: Error, LocalizedError {
    let message: String
    let exitCode: Int32

    init(_ message: String, exitCode: Int32 = 2) {
        self.message = message
        self.exitCode = exitCode
    }

    var errorDescription: String? { message }
}
