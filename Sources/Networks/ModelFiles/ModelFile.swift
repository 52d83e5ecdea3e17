/// Models on disk: a safetensors file of the model's state dict (PyTorch names, so the same file
/// loads in PyTorch with `load_state_dict`) and `__metadata__` strings describing it.
public enum ModelFile {
    /// Writes `stateDict` (F32, or `dtype` for all tensors) and `metadata` to `path` atomically.
    public static func save(stateDict: [(name: String, value: Tensor)], metadata: [String: String] = [:],
                            to path: String, dtype: SafetensorsDType = .f32) throws(ModelFileError) {
        try SafetensorsWriter.write(stateDict.map { SafetensorsWriter.Item(name: $0.name, tensor: $0.value, dtype: dtype) },
                                    metadata: metadata, to: path)
    }

    /// Writes `model`'s state dict with `metadata` (as strings; see `ModelMetadata.strings`).
    public static func save<Model: Layer>(_ model: Model, metadata: ModelMetadata, to path: String) throws(ModelFileError) {
        try save(stateDict: model.stateDict, metadata: metadata.strings, to: path)
    }

    /// Every tensor of the file at `path` as Float32, by name, and its `__metadata__`.
    public static func load(_ path: String) throws(ModelFileError) -> (tensors: [String: Tensor], metadata: [String: String]) {
        let file = try SafetensorsFile(path: path)
        return (try file.tensors(), file.metadata)
    }

    /// PyTorch's BatchNorm counter, which state dicts carry and our layers do not keep.
    public static func isBatchCounter(_ name: String) -> Bool {
        name == "num_batches_tracked" || name.hasSuffix(".num_batches_tracked")
    }

    /// Loads the file at `path` into `model`, replacing every parameter and buffer, and returns
    /// the file's metadata. Names the model expects and the file lacks, names the file has and
    /// the model does not (except those `ignoring` accepts), shapes that differ and tensors
    /// that are not floating point are reported together, one line each, and nothing is loaded.
    @discardableResult
    public static func load<Model: Layer>(_ path: String, into model: inout Model,
                                          ignoring ignored: (String) -> Bool = ModelFile.isBatchCounter) throws(ModelFileError) -> [String: String] {
        let file = try SafetensorsFile(path: path)
        try load(file, into: &model, ignoring: ignored)
        return file.metadata
    }

    /// Loads an already opened file into `model` (see `load(_:into:ignoring:)`).
    public static func load<Model: Layer>(_ file: SafetensorsFile, into model: inout Model,
                                          ignoring ignored: (String) -> Bool = ModelFile.isBatchCounter) throws(ModelFileError) {
        let expected = model.stateDict.map { (name: $0.name, shape: $0.value.shape) }
        let problems = mismatches(file, expected: expected, ignoring: ignored)
        guard problems.isEmpty else { throw ModelFileError(path: file.path, .modelMismatch(problems: problems)) }
        var values: [String: Tensor] = [:]
        for (name, _) in expected { values[name] = try file.tensor(name) }
        model.visitParameters { name, value, _ in if let loaded = values[name] { value = loaded } }
        model.visitBuffers { name, value in if let loaded = values[name] { value = loaded } }
    }

    /// What keeps `file` from loading into a model with `expected` names and shapes: one line
    /// per problem, in the model's order, then the file's extra names sorted. Empty when it fits.
    public static func mismatches(_ file: SafetensorsFile, expected: [(name: String, shape: [Int])],
                                  ignoring ignored: (String) -> Bool = ModelFile.isBatchCounter) -> [String] {
        var problems: [String] = []
        var expectedNames = Set<String>()
        for (name, shape) in expected {
            expectedNames.insert(name)
            guard let entry = file.entry(name) else {
                problems.append("\(name): missing from the file (model expects \(shape))")
                continue
            }
            if !entry.dtype.isFloatingPoint {
                problems.append("\(name): file has dtype \(entry.dtype.rawValue), model expects floating point (F32, F16, BF16 or F64)")
            }
            if entry.shape != shape {
                problems.append("\(name): file has \(entry.shape), model expects \(shape)")
            }
        }
        for name in file.names where !expectedNames.contains(name) && !ignored(name) {
            let entry = file.entry(name)
            problems.append("\(name): unexpected, the model has no such tensor (file has \(entry?.shape ?? []) \(entry?.dtype.rawValue ?? ""))")
        }
        return problems
    }
}
