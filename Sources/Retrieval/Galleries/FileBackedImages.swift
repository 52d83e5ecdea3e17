import Basics

/// Pixels that live one image per file (folder, corel and list galleries).
struct FileBackedImages: Sendable {
    /// Paths as they are opened: absolute, or relative to the working directory.
    let paths: [String]

    func image(at index: Int) throws -> RGBImage {
        try ImageDecoder.decode(file: paths[index])
    }

    /// Missing, unreadable or empty files show from one stat, without reading them.
    func quickProblem(at index: Int) -> String? {
        do {
            if try FileBytes.size(paths[index]) == 0 { return "\(paths[index]): empty file (0 bytes)" }
            return nil
        } catch {
            return error.errorDescription
        }
    }
}

/// The extensions torchvision's ImageFolder reads that we can decode.
enum ImageFileName {
    static let extensions: Set<String> = ["jpg", "jpeg", "png", "ppm", "pgm"]

    static func isImage(_ name: String) -> Bool {
        guard !name.hasPrefix("."), let dot = name.lastIndex(of: ".") else { return false }
        return extensions.contains(name[name.index(after: dot)...].lowercased())
    }
}

/// Joins a path to a directory unless it is already absolute.
func joinPath(_ directory: String, _ name: String) -> String {
    if name.hasPrefix("/") || directory.isEmpty { return name }
    return directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
