/// A hasher restored from stored parameters (an index file's mean and projection): encodes
/// queries exactly as the hasher that made the gallery's codes, whichever kind it was.
public struct LinearHasher: FeatureHasher, Equatable {
    public let kind: String
    public let bits: Int
    public let dimension: Int
    public let mean: [Float]
    public let projection: [Float]

    public init(kind: String, bits: Int, dimension: Int, mean: [Float], projection: [Float]) throws(HasherError) {
        guard dimension > 0 else { throw .invalidParameters("dimension \(dimension) must be positive") }
        guard BinaryCodes.bitRange.contains(bits) else { throw .unsupportedBits(bits: bits) }
        guard mean.count == dimension else {
            throw .invalidParameters("mean has \(mean.count) values, expected \(dimension)")
        }
        guard projection.count == dimension * bits else {
            throw .invalidParameters("projection has \(projection.count) values, expected \(dimension) x \(bits)")
        }
        guard mean.allSatisfy(\.isFinite) && projection.allSatisfy(\.isFinite) else {
            throw .invalidParameters("non-finite values")
        }
        self.kind = kind
        self.bits = bits
        self.dimension = dimension
        self.mean = mean
        self.projection = projection
    }

    /// A copy of any hasher's parameters.
    public init(_ hasher: some FeatureHasher) {
        kind = hasher.kind
        bits = hasher.bits
        dimension = hasher.dimension
        mean = hasher.mean
        projection = hasher.projection
    }
}
