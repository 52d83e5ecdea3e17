import Foundation

/// Opens either kind of code file a user may hold: hashscope's index or faiss's
/// IndexBinaryFlat, told apart by their first bytes.
public enum CodeFileLoader {
    public enum Kind: String, Sendable { case hashscope, faiss }

    public struct Loaded: Sendable {
        public let index: HashIndex
        public let kind: Kind
    }

    public static func load(_ path: String, verifyChecksum: Bool = true) throws(IndexFileError) -> Loaded {
        if FaissBinaryFlatFile.looksLikeFaiss(path) {
            let codes = try FaissBinaryFlatFile.read(path)
            return Loaded(index: HashIndex(codes: codes, metadata: .init(source: "faiss IndexBinaryFlat \(path)")), kind: .faiss)
        }
        return Loaded(index: try IndexFile.read(path, verifyChecksum: verifyChecksum), kind: .hashscope)
    }
}
