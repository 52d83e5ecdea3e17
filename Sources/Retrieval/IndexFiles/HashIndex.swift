import Foundation

/// What an index file holds: a gallery's codes with each item's labels and id, optional
/// float features (for LSH re-ranking and cosine re-ranks), and where the codes came from.
public struct HashIndex: Sendable {
    public struct Metadata: Codable, Sendable, Equatable {
        /// Fingerprint of the model that made the codes; empty for codes from elsewhere.
        public var modelFingerprint: String
        /// The gallery spec the items come from (empty when unknown).
        public var gallery: String
        public var classNames: [String]
        public var multiLabel: Bool
        /// Free text: the command or file the codes came from.
        public var source: String

        public init(modelFingerprint: String = "", gallery: String = "", classNames: [String] = [],
                    multiLabel: Bool = false, source: String = "") {
            self.modelFingerprint = modelFingerprint
            self.gallery = gallery
            self.classNames = classNames
            self.multiLabel = multiLabel
            self.source = source
        }

        enum CodingKeys: String, CodingKey {
            case modelFingerprint = "model_fingerprint", gallery, classNames = "class_names"
            case multiLabel = "multi_label", source
        }
    }

    public let codes: BinaryCodes
    /// Per item, its class indices (empty when the codes came without labels).
    public let labels: [[Int]]
    public let itemIDs: [String]
    public let features: FeatureMatrix?
    public let metadata: Metadata

    public init(codes: BinaryCodes, labels: [[Int]], itemIDs: [String], features: FeatureMatrix? = nil, metadata: Metadata) {
        precondition(labels.count == codes.count && itemIDs.count == codes.count, "one label row and id per code")
        precondition(features.map { $0.rows == codes.count } ?? true, "one feature row per code")
        self.codes = codes
        self.labels = labels
        self.itemIDs = itemIDs
        self.features = features
        self.metadata = metadata
    }

    /// Codes alone (a faiss file, codes computed elsewhere): no labels, ids are the indices.
    public init(codes: BinaryCodes, metadata: Metadata) {
        self.init(codes: codes, labels: Array(repeating: [], count: codes.count),
                  itemIDs: (0..<codes.count).map(String.init), metadata: metadata)
    }
}

/// An index file that cannot be read: one line naming the file and what is wrong.
public struct IndexFileError: Error, LocalizedError, Sendable, Equatable {
    public let path: String
    public let message: String

    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    public var errorDescription: String? { "\(path): \(message)" }
}
