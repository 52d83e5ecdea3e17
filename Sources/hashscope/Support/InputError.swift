import Foundation

/// Bad command-line input found while a command runs (an unknown name, a folder that does not
/// exist, a gallery that does not fit): one line, exit status 2.
struct InputError: Error, LocalizedError {
    let message: String
    init(_ message: String) { self.message = message }
    var errorDescription: String? { message }
}
