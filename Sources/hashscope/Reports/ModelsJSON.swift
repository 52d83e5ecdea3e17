import Services

/// `models --json`: the folder and one object per model, from its metadata.
struct ModelsJSON: JSONReport {
    struct Model: Codable {
        let file: String
        let arch: String
        @NullWhenAbsent var backbone: String?
        /// How many of the backbone's last blocks the head fine-tuned (null without a backbone).
        @NullWhenAbsent var backbone_fine_tuned_blocks: Int?
        let bits: Int
        @NullWhenAbsent var dataset: String?
        @NullWhenAbsent var `protocol`: String?
        /// mAP measured at the end of training under `protocol`.
        @NullWhenAbsent var map: Double?
        @NullWhenAbsent var epochs: Int?
        @NullWhenAbsent var wall_time_seconds: Double?
        /// The provenance's description of the model a warm start began from.
        @NullWhenAbsent var warm_start: String?
    }

    let folder: String
    let models: [Model]
    /// Files that could not be described, one line each.
    let problems: [String]

    init(_ catalog: ModelCatalog) {
        folder = catalog.folder
        models = catalog.entries.map { entry in
            let m = entry.metadata, p = m.provenance
            return Model(file: entry.path, arch: m.arch, backbone: m.backbone,
                         backbone_fine_tuned_blocks: m.backbone == nil ? nil : m.backboneFineTunedBlocks ?? 1, bits: m.bits, dataset: p.dataset,
                         protocol: p.evaluationProtocol, map: p.meanAveragePrecision, epochs: p.epochs,
                         wall_time_seconds: p.wallTimeSeconds, warm_start: p.warmStart)
        }
        problems = catalog.problems
    }
}
