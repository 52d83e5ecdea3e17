import Foundation
import Networks

/// The model files of a folder, described from their metadata alone (no network is built):
/// what `hashscope models` lists and the order the explorer offers them in.
public struct ModelCatalog: Sendable {
    /// One model file and what its metadata says.
    public struct Entry: Sendable, Equatable {
        public let path: String
        public let metadata: ModelMetadata

        public var name: String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
        /// The model this one was warm-started from, as its file path (the first part of the
        /// provenance's description); nil for a run from seeded weights.
        public var warmStartedFrom: String? {
            metadata.provenance.warmStart.map { String($0.prefix { $0 != " " }) }
        }
    }

    public let folder: String
    /// Readable models, grouped by arch (the order of `Architecture.allCases`), then backbone
    /// (none first), bits and name.
    public let entries: [Entry]
    /// Files that end in .safetensors but are no model hashscope can describe: one line each,
    /// naming the file.
    public let problems: [String]

    public init(folder: String) throws(ServiceError) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder) } catch {
            throw ServiceError("\(folder): cannot list the folder: \(error.localizedDescription)")
        }
        var entries: [Entry] = [], problems: [String] = []
        for name in names.sorted() where name.hasSuffix(".safetensors") {
            let path = (folder as NSString).appendingPathComponent(name)
            do {
                let file = try SafetensorsFile(path: path)
                guard let metadata = try ModelMetadata.decode(file.metadata, path: path) else {
                    problems.append("\(path): no hashscope metadata (arch, bits, input size, normalisation)")
                    continue
                }
                entries.append(Entry(path: path, metadata: metadata))
            } catch {
                problems.append(error.localizedDescription)
            }
        }
        self.folder = folder
        self.entries = entries.sorted(by: Self.order)
        self.problems = problems
    }

    /// By arch (as `Architecture.allCases` lists them; unknown ones last), backbone, bits, name.
    static func order(_ a: Entry, _ b: Entry) -> Bool {
        func rank(_ arch: String) -> Int { Architecture.allCases.firstIndex { $0.rawValue == arch } ?? Architecture.allCases.count }
        let left = (rank(a.metadata.arch), a.metadata.backbone ?? "", a.metadata.bits, a.name)
        let right = (rank(b.metadata.arch), b.metadata.backbone ?? "", b.metadata.bits, b.name)
        return left < right
    }
}
