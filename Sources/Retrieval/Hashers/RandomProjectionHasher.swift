import Basics
/// LSH as the shallow baseline (Charikar's sign random projection): bit j is the sign of the
/// feature's projection on a Gaussian random direction. Optionally centred on the training
/// mean, which balances the bits on features that are all positive (ReLU outputs), where
/// hyperplanes through the origin would leave most bits at 1.
public struct RandomProjectionHasher: FeatureHasher, Equatable {
    public var kind: String { "lsh" }
    public let bits: Int
    public let dimension: Int
    public let mean: [Float]
    /// (D, bits) row-major, entries N(0,1) drawn row by row from `SeededGenerator(seed:)`.
    public let projection: [Float]
    public let seed: UInt64

    /// Hyperplanes through the origin; needs no training data. More bits than dimensions is
    /// allowed here (each bit is still an independent random hyperplane).
    public init(dimension: Int, bits: Int, seed: UInt64) throws(HasherError) {
        guard dimension > 0 else { throw .invalidParameters("dimension \(dimension) must be positive") }
        try LinearProjection.validate(bits: bits, dimension: dimension, requireBitsWithinDimension: false)
        var generator = SeededGenerator(seed: seed)
        self.bits = bits
        self.dimension = dimension
        self.mean = [Float](repeating: 0, count: dimension)
        self.projection = generator.normals(count: dimension * bits)
        self.seed = seed
    }

    /// With `centred`, hyperplanes through the training mean; otherwise the data is ignored.
    // x: (N,D) -> projection (D,bits), mean (D)
    public init(training features: FeatureMatrix, bits: Int, seed: UInt64, centred: Bool = true) throws(HasherError) {
        if centred && features.rows == 0 { throw .tooFewTrainingRows(rows: 0, needed: 1) }
        if centred && !features.values.allSatisfy(\.isFinite) { throw .nonFiniteFeatures }
        let origin = try RandomProjectionHasher(dimension: features.dimension, bits: bits, seed: seed)
        self.bits = bits
        self.dimension = features.dimension
        self.mean = centred ? LinearProjection.columnMeans(features) : origin.mean
        self.projection = origin.projection
        self.seed = seed
    }
}
