/// Float features, one row per item, row-major: `rows x dimension` Float32 (a CNN's fc
/// output for a batch of images, or a gallery's stored features).
public struct FeatureMatrix: Sendable, Equatable {
    public let rows: Int
    public let dimension: Int
    public let values: [Float]

    public init(rows: Int, dimension: Int, values: [Float]) {
        precondition(rows >= 0 && dimension > 0, "a feature matrix needs rows >= 0 and dimension > 0")
        precondition(values.count == rows * dimension,
                     "\(values.count) values are not \(rows) rows of \(dimension)")
        self.rows = rows
        self.dimension = dimension
        self.values = values
    }

    /// Rows of `values.count / dimension`.
    public init(dimension: Int, values: [Float]) {
        precondition(dimension > 0 && values.count % dimension == 0,
                     "\(values.count) values are not rows of \(dimension)")
        self.init(rows: values.count / dimension, dimension: dimension, values: values)
    }

    /// From row arrays, all of one length.
    public init(_ rowArrays: [[Float]]) {
        precondition(!rowArrays.isEmpty, "cannot infer the dimension of no rows")
        let dimension = rowArrays[0].count
        precondition(rowArrays.allSatisfy { $0.count == dimension }, "rows of different lengths")
        self.init(rows: rowArrays.count, dimension: dimension, values: rowArrays.flatMap { $0 })
    }

    public func row(_ index: Int) -> ArraySlice<Float> {
        precondition(index >= 0 && index < rows, "row \(index) out of 0..<\(rows)")
        return values[index * dimension ..< (index + 1) * dimension]
    }

    /// Rows `indices`, in that order, as a new matrix.
    public func subset(_ indices: some Sequence<Int>) -> FeatureMatrix {
        var picked: [Float] = []
        for index in indices { picked += row(index) }
        return FeatureMatrix(dimension: dimension, values: picked)
    }
}
