import Basics

extension SeededGenerator {
    /// Uniform in [low, high).
    public mutating func nextUniform(_ low: Float, _ high: Float) -> Float {
        low + (high - low) * nextFloat()
    }
}

extension Tensor {
    /// Independent normal draws of the given mean and standard deviation (Render's seeded
    /// generator: a seed gives the same initial weights on every run and platform).
    public static func randomNormal(_ shape: [Int], mean: Float = 0, standardDeviation: Float = 1,
                                    generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = mean + standardDeviation * generator.nextNormal() }
        }
    }

    /// Independent uniform draws in [low, high).
    public static func randomUniform(_ shape: [Int], low: Float = 0, high: Float = 1,
                                     generator: inout SeededGenerator) -> Tensor {
        Tensor(shape: shape) { out in
            for i in 0..<out.count { out[i] = generator.nextUniform(low, high) }
        }
    }
}
