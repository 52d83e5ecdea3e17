import Foundation

/// The file a command is told to write (a model, an index): checked before any work is done, so
/// an hour of training never ends on a folder that does not exist.
public enum OutputFile {
    /// Throws unless `out` can be a file written there: its folder exists and it is no folder.
    public static func check(_ out: String) throws(ServiceError) {
        let folder = URL(fileURLWithPath: out).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ServiceError("\(out): the folder \(folder) does not exist")
        }
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ServiceError("\(out): is a folder; --out names the model file to write")
        }
    }
}
