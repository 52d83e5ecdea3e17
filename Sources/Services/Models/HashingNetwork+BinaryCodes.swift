import Networks
import Retrieval

extension HashingNetwork {
    /// Relaxed codes (N x bits, row-major) made binary the way this network's code layer means
    /// them: sign for tanh and linear outputs, >= 0.5 for a sigmoid latent layer.
    public func binaryCodes(_ values: [Float]) -> BinaryCodes {
        activation == .sigmoid ? BinaryCodes.fromSigmoid(values, bits: bits) : BinaryCodes.fromSigns(values, bits: bits)
    }
}
