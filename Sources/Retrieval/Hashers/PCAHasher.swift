/// PCA hashing (PCAH): bit j is the sign of the centred feature's coordinate along the j-th
/// principal direction. The baseline ITQ improves on: high-variance directions get no more
/// bits than low-variance ones, so its quantization loss is large.
public struct PCAHasher: FeatureHasher, Equatable {
    public var kind: String { "pcah" }
    public let bits: Int
    public let dimension: Int
    public let mean: [Float]
    /// (D, bits) row-major: column j is the j-th principal direction (unit length, sign fixed
    /// so its largest-magnitude entry is positive).
    public let projection: [Float]
    /// The variance along each direction, descending.
    public let eigenvalues: [Float]

    /// Fits the top `bits` principal directions of `features` (N >= 2 rows, bits <= D).
    // x: (N,D) -> projection (D,bits)
    public init(training features: FeatureMatrix, bits: Int) throws(HasherError) {
        try LinearProjection.validate(bits: bits, dimension: features.dimension, requireBitsWithinDimension: true)
        let pca = try PrincipalComponents(fitting: features, components: bits)
        self.bits = bits
        self.dimension = features.dimension
        self.mean = pca.mean
        self.projection = pca.directions
        self.eigenvalues = pca.eigenvalues
    }
}
