import Foundation
import Basics

/// How a hash layer squashes its outputs into relaxed codes.
public enum CodeActivation: String, Sendable, Codable {
    /// tanh: codes in (-1, 1), bit = sign (DSH, DAH, DFEH, DATH, CBAM).
    case tanh
    /// sigmoid: codes in (0, 1), bit = (output >= 0.5) (DLBHC's latent layer, NIN).
    case sigmoid
    /// No squashing: real-valued outputs, bit = sign, kept near ±1 by the quantization term
    /// (DSH's formulation; a tanh under DSH's 2 x bits margin saturates and the codes collapse).
    case linear
}

/// A deep hashing network: a feature extractor (images (N,3,H,W) -> (N,F)), a hash layer
/// F -> bits with tanh or sigmoid, and optionally a classifier for a classification term:
/// on the features F -> classes (DATH), or on the relaxed codes bits -> classes (DLBHC's
/// latent layer, whose codes learn only through the classifier above them).
///
/// As a Layer its output is one tensor (N, bits + classes): the relaxed codes, then the
/// logits; `split` takes them apart and backward takes the gradient of both, laid out the
/// same way. That keeps the whole network inside the Layer machinery (named parameters,
/// state dicts, gradient checks, optimizers). Parameter names: "features.*", "hash.*",
/// "classifier.*", as the PyTorch module of the parity script names them.
public struct HashingNetwork: Layer {
    public var features: Sequential
    public var hash: Linear
    public var classifier: Linear?
    public let activation: CodeActivation
    public let bits: Int
    /// Whether the classifier reads the codes (DLBHC) rather than the features.
    public let classifierOnCodes: Bool
    /// A frozen pretrained trunk run before `features` (a backbone head's network encoding
    /// images): no parameters, no gradient; without it the network reads the trunk's output
    /// (what head training feeds it from a feature cache).
    public var backbone: (any PretrainedBackbone)?

    public struct Cache {
        let features: [Any]
        let featureOutput: Tensor
        let hashCache: Linear.Cache
        let classifierCache: Linear.Cache?
        let codes: Tensor
    }

    public init(features: Sequential, featureCount: Int, bits: Int, classes: Int?, activation: CodeActivation,
                classifierOnCodes: Bool = false, generator: inout SeededGenerator) {
        self.features = features
        self.hash = Linear(inFeatures: featureCount, outFeatures: bits, generator: &generator)
        self.classifier = classes.map {
            Linear(inFeatures: classifierOnCodes ? bits : featureCount, outFeatures: $0, generator: &generator)
        }
        self.activation = activation
        self.bits = bits
        self.classifierOnCodes = classifierOnCodes
    }

    public var classCount: Int? { classifier.map { $0.weight.shape[0] } }

    // images: (N,3,H,W) (or a backbone trunk's output) -> (N, bits + classes)
    public mutating func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Cache) {
        let (featureOutput, featureCache) = features.forward(backbone.map { $0.trunk(input) } ?? input, training: training)
        precondition(featureOutput.rank == 2, "the feature extractor must end in (N, F), got \(featureOutput.shape)")
        let (preCodes, hashCache) = hash.forward(featureOutput, training: training)
        let codes: Tensor
        switch activation {
        case .tanh: codes = preCodes.map { Foundation.tanh($0) }
        case .sigmoid: codes = preCodes.map { 1 / (1 + Foundation.exp(-$0)) }
        case .linear: codes = preCodes
        }
        var classifierCache: Linear.Cache?
        var output = codes
        if var head = classifier {
            let (logits, cache) = head.forward(classifierOnCodes ? codes : featureOutput, training: training)
            classifier = head
            classifierCache = cache
            output = Tensor.concatenatingChannels([codes, logits])
        }
        return (output, Cache(features: featureCache, featureOutput: featureOutput, hashCache: hashCache,
                              classifierCache: classifierCache, codes: codes))
    }

    /// The gradient with respect to the input, or to the trunk's output when a backbone is
    /// attached (the trunk is frozen).
    public mutating func backward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        features.backward(headBackward(gradOutput, cache: cache), cache: cache.features)
    }

    /// The parameter gradients of `backward` without the input's (what training needs: the
    /// images, or the frozen trunk's output, are not trained).
    public mutating func accumulateParameterGradients(_ gradOutput: Tensor, cache: Cache) {
        features.accumulateParameterGradients(headBackward(gradOutput, cache: cache), cache: cache.features)
    }

    /// Back through the classifier, the activation and the hash layer: dL/d(features).
    private mutating func headBackward(_ gradOutput: Tensor, cache: Cache) -> Tensor {
        let parts = classifier == nil ? [gradOutput] : gradOutput.splittingChannels([bits, gradOutput.shape[1] - bits])
        var gradCodes = parts[0]
        var gradFeaturesFromHead: Tensor?
        if var head = classifier, let headCache = cache.classifierCache {
            let gradHeadInput = head.backward(parts[1], cache: headCache)
            classifier = head
            if classifierOnCodes { gradCodes += gradHeadInput } else { gradFeaturesFromHead = gradHeadInput }
        }
        // d tanh = 1 - y^2; d sigmoid = y (1 - y), with y the activated codes; linear passes through.
        let activation = activation
        let gradPre = activation == .linear ? gradCodes : Tensor(shape: cache.codes.shape) { out in
            gradCodes.withUnsafeBufferPointer { g in
                cache.codes.withUnsafeBufferPointer { y in
                    for i in 0..<out.count {
                        out[i] = g[i] * (activation == .tanh ? 1 - y[i] * y[i] : y[i] * (1 - y[i]))
                    }
                }
            }
        }
        var gradFeatures = hash.backward(gradPre, cache: cache.hashCache)
        if let fromHead = gradFeaturesFromHead { gradFeatures += fromHead }
        return gradFeatures
    }

    public mutating func visitParameters(_ visit: (_ name: String, _ value: inout Tensor, _ gradient: inout Tensor) -> Void) {
        features.visitParameters { name, value, gradient in visit("features.\(name)", &value, &gradient) }
        hash.visitParameters { name, value, gradient in visit("hash.\(name)", &value, &gradient) }
        if var head = classifier {
            head.visitParameters { name, value, gradient in visit("classifier.\(name)", &value, &gradient) }
            classifier = head
        }
    }

    public mutating func visitBuffers(_ visit: (_ name: String, _ value: inout Tensor) -> Void) {
        features.visitBuffers { name, value in visit("features.\(name)", &value) }
    }

    /// Where a backbone head's fine-tuned backbone blocks sit among its tensors.
    public static let backboneStagePrefix = "features.stage."

    /// Sets the last stage of a backbone head ("features.stage.*") to `backbone`'s pretrained
    /// weights: where head training starts.
    public mutating func loadPretrainedStage(from backbone: any PretrainedBackbone) {
        for (name, value) in backbone.lastStage().stateDict { setParameter(Self.backboneStagePrefix + name, to: value) }
    }

    /// The network's output taken apart: relaxed codes (N, bits) and logits (N, classes), if any.
    public func split(_ output: Tensor) -> (codes: Tensor, logits: Tensor?) {
        guard classifier != nil else { return (output, nil) }
        let parts = output.splittingChannels([bits, output.shape[1] - bits])
        return (parts[0], parts[1])
    }
}
