/// What a training run is asked to do, as plain values (the command line's, or a test's): the
/// services turn it into a `TrainingPlan` after checking every field.
public struct TrainingRequest: Sendable {
    public var arch: String
    public var bits: Int
    /// The gallery spec (`kind:path`) and the protocol that splits it.
    public var dataset: String
    public var protocolName: String
    public var epochs: Int
    /// nil: the recipe's.
    public var batch: Int?
    public var learningRate: Double?
    public var optimizer: String?
    /// nil: the recipe's objective.
    public var loss: String?
    public var seed: UInt64
    public var threads: Int
    public var backbone: String?
    public var size: Int?
    public var augmentCopies: Int
    /// With a backbone: how many of its last blocks the head fine-tunes (nil: 1, its last stage).
    public var fineTunedBlocks: Int?
    /// Batch norm after the paper's convolutions, or not (nil: the recipe's choice).
    public var batchNorm: Bool?
    public var backboneWeights: String?
    public var initFrom: String?
    /// Queries of the monitor sample measured after every epoch (0: none).
    public var monitor: Int
    /// The model file to write; its checkpoint is `out + ".checkpoint"`.
    public var out: String
    public var resume: Bool
    /// The command as typed, kept in the model's provenance.
    public var commandLine: String

    public init(arch: String, bits: Int, dataset: String, protocolName: String, epochs: Int, batch: Int? = nil,
                learningRate: Double? = nil, optimizer: String? = nil, seed: UInt64 = 0, threads: Int, backbone: String? = nil,
                size: Int? = nil, augmentCopies: Int = 0, backboneWeights: String? = nil, initFrom: String? = nil, out: String,
                resume: Bool = false, loss: String? = nil, monitor: Int = 0, fineTunedBlocks: Int? = nil, batchNorm: Bool? = nil,
                commandLine: String) {
        self.fineTunedBlocks = fineTunedBlocks
        self.batchNorm = batchNorm
        self.arch = arch
        self.bits = bits
        self.dataset = dataset
        self.protocolName = protocolName
        self.epochs = epochs
        self.batch = batch
        self.learningRate = learningRate
        self.optimizer = optimizer
        self.loss = loss
        self.monitor = monitor
        self.seed = seed
        self.threads = threads
        self.backbone = backbone
        self.size = size
        self.augmentCopies = augmentCopies
        self.backboneWeights = backboneWeights
        self.initFrom = initFrom
        self.out = out
        self.resume = resume
        self.commandLine = commandLine
    }

    public var checkpointPath: String { out + ".checkpoint" }
}
