import Foundation
import Basics
import Retrieval
import TestSupport
import XCTest

final class ShallowHasherTests: XCTestCase {
    // MARK: - Shapes and errors

    func testShapesAndTypedErrors() throws {
        let (x, _) = Self.clusters(dimension: 32, seed: 1)
        let hashers: [any FeatureHasher] = [
            try RandomProjectionHasher(training: x, bits: 16, seed: 1),
            try PCAHasher(training: x, bits: 16),
            try ITQHasher(training: x, bits: 16, iterations: 5, seed: 1),
        ]
        XCTAssertEqual(hashers.map(\.kind), ["lsh", "pcah", "itq"])
        for hasher in hashers {
            XCTAssertEqual([hasher.bits, hasher.dimension, hasher.mean.count, hasher.projection.count], [16, 32, 32, 32 * 16])
            let codes = try hasher.encode(x)
            XCTAssertEqual([codes.count, codes.bits], [x.rows, 16])
            XCTAssertEqual(try hasher.project(x).count, x.rows * 16)
            XCTAssertThrowsError(try hasher.encode(FeatureMatrix(rows: 1, dimension: 31, values: Array(repeating: 0, count: 31)))) {
                XCTAssertEqual($0 as? HasherError, .dimensionMismatch(expected: 32, got: 31))
            }
        }
        XCTAssertThrowsError(try PCAHasher(training: x, bits: 33)) {
            XCTAssertEqual($0 as? HasherError, .bitsExceedDimension(bits: 33, dimension: 32))
        }
        XCTAssertThrowsError(try ITQHasher(training: x, bits: 40)) {
            XCTAssertEqual($0 as? HasherError, .bitsExceedDimension(bits: 40, dimension: 32))
        }
        XCTAssertThrowsError(try PCAHasher(training: x, bits: 4)) {
            XCTAssertEqual($0 as? HasherError, .unsupportedBits(bits: 4))
        }
        XCTAssertThrowsError(try PCAHasher(training: x.subset([0]), bits: 8)) {
            XCTAssertEqual($0 as? HasherError, .tooFewTrainingRows(rows: 1, needed: 2))
        }
        var bad = x.values
        bad[5] = .infinity
        XCTAssertThrowsError(try ITQHasher(training: FeatureMatrix(dimension: 32, values: bad), bits: 8)) {
            XCTAssertEqual($0 as? HasherError, .nonFiniteFeatures)
        }
        // Random hyperplanes need no more dimensions than bits.
        XCTAssertEqual(try RandomProjectionHasher(dimension: 8, bits: 64, seed: 0).projection.count, 8 * 64)
        XCTAssertThrowsError(try LinearHasher(kind: "itq", bits: 16, dimension: 32, mean: [], projection: [])) {
            XCTAssertNotNil(($0 as? LocalizedError)?.errorDescription)
        }
    }

    /// Codes are the signs of the projections, across the encoder's 4096-row chunk boundary.
    func testEncodeIsSignOfCentredProjection() throws {
        var g = SeededGenerator(seed: 11)
        let x = FeatureMatrix(rows: 5000, dimension: 16, values: g.normals(count: 5000 * 16, mean: 1))
        let hasher = try RandomProjectionHasher(training: x, bits: 16, seed: 2)
        let codes = try hasher.encode(x)
        for r in stride(from: 0, to: x.rows, by: 7) {
            for j in 0..<16 {
                var dot: Float = 0
                for c in 0..<16 { dot += (x.values[r * 16 + c] - hasher.mean[c]) * hasher.projection[c * 16 + j] }
                if abs(dot) > 1e-4 { XCTAssertEqual(codes.bit(j, ofCode: r), dot >= 0, "row \(r) bit \(j)") }
            }
        }
        XCTAssertEqual(try LinearHasher(hasher).encode(x).packedBytes(), codes.packedBytes())
    }

    /// On all-positive features (ReLU outputs) hyperplanes through the origin give nearly
    /// constant bits; centring on the mean balances them.
    func testCentringBalancesBitsOnPositiveFeatures() throws {
        var g = SeededGenerator(seed: 4)
        let x = FeatureMatrix(rows: 2000, dimension: 32, values: g.normals(count: 2000 * 32, mean: 3).map { max(0, $0) })
        func imbalance(_ hasher: some FeatureHasher) throws -> Double {
            let codes = try hasher.encode(x)
            return (0..<32).map { j in
                abs(Double((0..<x.rows).filter { codes.bit(j, ofCode: $0) }.count) / Double(x.rows) - 0.5)
            }.reduce(0, +) / 32
        }
        let centred = try imbalance(RandomProjectionHasher(training: x, bits: 32, seed: 8))
        let origin = try imbalance(RandomProjectionHasher(training: x, bits: 32, seed: 8, centred: false))
        XCTAssertLessThan(centred, 0.05)
        XCTAssertGreaterThan(origin, 0.3)
    }

    // MARK: - PCA

    func testPCADirectionsOrthonormalAndEigenpairsOfCovariance() throws {
        // 5000 rows: the covariance is accumulated over two ssyrk chunks.
        var g = SeededGenerator(seed: 21)
        let d = 16, n = 5000
        let scales = (0..<d).map { 3 - Float($0) * 0.15 }
        let x = FeatureMatrix(rows: n, dimension: d, values: (0..<n * d).map { scales[$0 % d] * g.nextNormal() + 1 })
        let pca = try PCAHasher(training: x, bits: 12)
        let w = pca.projection
        for a in 0..<12 {
            for b in 0..<12 {
                let dot = (0..<d).reduce(Float(0)) { $0 + w[$1 * 12 + a] * w[$1 * 12 + b] }
                XCTAssertEqual(dot, a == b ? 1 : 0, accuracy: 1e-4, "directions \(a), \(b)")
            }
        }
        XCTAssertEqual(pca.eigenvalues, pca.eigenvalues.sorted(by: >))
        // C w = lambda w against a covariance computed here in Double.
        let mean = (0..<d).map { c in (0..<n).reduce(0.0) { $0 + Double(x.values[$1 * d + c]) } / Double(n) }
        var cov = [Double](repeating: 0, count: d * d)
        for r in 0..<n {
            for i in 0..<d {
                let xi = Double(x.values[r * d + i]) - mean[i]
                for j in 0..<d { cov[i * d + j] += xi * (Double(x.values[r * d + j]) - mean[j]) }
            }
        }
        for i in cov.indices { cov[i] /= Double(n - 1) }
        for k in 0..<12 {
            let lambda = Double(pca.eigenvalues[k])
            for i in 0..<d {
                let cw = (0..<d).reduce(0.0) { $0 + cov[i * d + $1] * Double(w[$1 * 12 + k]) }
                XCTAssertEqual(cw, lambda * Double(w[i * 12 + k]), accuracy: 1e-3 * lambda)
            }
        }
        assertClose(pca.mean, mean.map(Float.init), atol: 1e-4)
    }

    /// Golden values from scripts/reference_hashers.py (numpy, float64).
    func testPCAMatchesNumpyReference() throws {
        let url = try XCTUnwrap(Bundle.module.url(forResource: "pcah_reference", withExtension: "json",
                                                  subdirectory: "Fixtures/hashers"))
        let reference = try JSONDecoder().decode(PCAReference.self, from: Data(contentsOf: url))
        let x = FeatureMatrix(rows: reference.rows, dimension: reference.dimension, values: reference.features.map(Float.init))
        let pca = try PCAHasher(training: x, bits: reference.bits)
        assertClose(pca.mean, reference.mean.map(Float.init), atol: 1e-5)
        assertClose(pca.eigenvalues, reference.eigenvalues.map(Float.init), rtol: 1e-4, atol: 1e-5)
        let projections = try pca.project(x)
        let bits = reference.bits
        for j in 0..<bits {
            // Up to the direction's sign (both sides fix it the same way, but LAPACK need not agree).
            let column = (0..<reference.dimension).map { pca.projection[$0 * bits + j] }
            let expected = (0..<reference.dimension).map { Float(reference.directions[$0 * bits + j]) }
            let sign: Float = zip(column, expected).reduce(0) { $0 + $1.0 * $1.1 } < 0 ? -1 : 1
            XCTAssertEqual(sign, 1, "direction \(j) sign convention")
            assertClose(column.map { sign * $0 }, expected, atol: 1e-4)
            let got = (0..<reference.rows).map { sign * projections[$0 * bits + j] }
            let want = (0..<reference.rows).map { Float(reference.projections[$0 * bits + j]) }
            assertClose(got, want, atol: 1e-3)
        }
        // Codes agree bit for bit (the smallest |projection| in the fixture is 2e-3).
        let codes = try pca.encode(x)
        for r in 0..<reference.rows {
            for j in 0..<bits { XCTAssertEqual(codes.bit(j, ofCode: r), reference.projections[r * bits + j] >= 0) }
        }
    }

    // MARK: - ITQ

    func testITQRotationOrthogonalAndLossFallsBelowPCAH() throws {
        let (x, _) = Self.clusters(dimension: 64, seed: 5)
        let bits = 32
        let itq = try ITQHasher(training: x, bits: bits, seed: 3)
        XCTAssertEqual(itq.quantizationLosses.count, ITQHasher.defaultIterations + 1)
        let r = itq.rotation
        for a in 0..<bits {
            for b in 0..<bits {
                let dot = (0..<bits).reduce(Float(0)) { $0 + r[$1 * bits + a] * r[$1 * bits + b] }
                XCTAssertEqual(dot, a == b ? 1 : 0, accuracy: 1e-4)
            }
        }
        let losses = itq.quantizationLosses
        for (before, after) in zip(losses, losses.dropFirst()) {
            XCTAssertLessThanOrEqual(after, before * (1 + 1e-6), "the quantization loss rose")
        }
        XCTAssertLessThan(losses.last!, losses.first!)

        func loss(_ projections: [Float]) -> Double {
            projections.reduce(0.0) { sum, v in let e = Double(v >= 0 ? 1 : -1) - Double(v); return sum + e * e }
        }
        let pcah = try loss(PCAHasher(training: x, bits: bits).project(x))
        let final = try loss(itq.project(x))
        XCTAssertEqual(final, losses.last!, accuracy: 1e-3 * final)
        XCTAssertLessThan(final, pcah)
    }

    func testDeterministicForASeed() throws {
        let (x, _) = Self.clusters(dimension: 32, seed: 6)
        XCTAssertEqual(try RandomProjectionHasher(training: x, bits: 16, seed: 7), try RandomProjectionHasher(training: x, bits: 16, seed: 7))
        XCTAssertNotEqual(try RandomProjectionHasher(training: x, bits: 16, seed: 7).projection,
                          try RandomProjectionHasher(training: x, bits: 16, seed: 8).projection)
        XCTAssertEqual(try ITQHasher(training: x, bits: 16, iterations: 10, seed: 7), try ITQHasher(training: x, bits: 16, iterations: 10, seed: 7))
        XCTAssertNotEqual(try ITQHasher(training: x, bits: 16, iterations: 10, seed: 7).rotation,
                          try ITQHasher(training: x, bits: 16, iterations: 10, seed: 8).rotation)
        XCTAssertEqual(try PCAHasher(training: x, bits: 16), try PCAHasher(training: x, bits: 16))
    }

    // MARK: - Retrieval quality

    func testCodesOfOneClusterAreCloserThanCodesOfDifferentClusters() throws {
        let (x, labels) = Self.clusters(dimension: 64, seed: 9)
        let hashers: [any FeatureHasher] = [
            try RandomProjectionHasher(training: x, bits: 32, seed: 1),
            try PCAHasher(training: x, bits: 32),
            try ITQHasher(training: x, bits: 32, seed: 1),
        ]
        for hasher in hashers {
            let codes = try hasher.encode(x)
            var same = (0.0, 0), different = (0.0, 0)
            for i in stride(from: 0, to: x.rows, by: 3) {
                for j in (i + 1)..<x.rows {
                    let distance = Double(codes.distance(i, to: codes, j))
                    if labels[i] == labels[j] { same.0 += distance; same.1 += 1 } else { different.0 += distance; different.1 += 1 }
                }
            }
            let meanSame = same.0 / Double(same.1), meanDifferent = different.0 / Double(different.1)
            // PCAH's gap is the smallest (~0.77 here): with 10 clusters, bits past the 9th
            // principal direction mostly code within-cluster noise.
            XCTAssertLessThan(meanSame, 0.85 * meanDifferent, "\(hasher.kind): same \(meanSame), different \(meanDifferent)")
        }
    }

    // MARK: - Helpers

    /// 10 Gaussian clusters of 60 points in `dimension`-D: centres N(0,1) per coordinate,
    /// points centre + N(0, 0.5^2), offset by 2 so the data is not centred at the origin.
    static func clusters(dimension: Int, seed: UInt64) -> (FeatureMatrix, [Int]) {
        var g = SeededGenerator(seed: seed)
        let centres = (0..<10).map { _ in g.normals(count: dimension) }
        var values: [Float] = [], labels: [Int] = []
        for point in 0..<600 {
            let c = point % 10
            values += centres[c].map { $0 + 2 + 0.5 * g.nextNormal() }
            labels.append(c)
        }
        return (FeatureMatrix(rows: 600, dimension: dimension, values: values), labels)
    }

    private struct PCAReference: Decodable {
        let rows: Int, dimension: Int, bits: Int
        let features: [Double], mean: [Double], eigenvalues: [Double], directions: [Double], projections: [Double]
    }
}
