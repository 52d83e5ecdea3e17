/// `bench memory --json`: the best of ten reads of a buffer.
struct BenchMemoryJSON: JSONReport {
    let read_gb_per_s: Double
    let threads: Int
    let megabytes: Int
}

/// `bench search --json`: exact Hamming top-k, one query at a time (median) and batched.
struct BenchSearchJSON: JSONReport {
    let ms_per_query: Double
    let batch_ms_per_query: Double
    let codes_per_second: Double
    let bits: Int
    let count: Int
    let queries: Int
    let k: Int
    let threads: Int
    /// "hashscope" or "faiss".
    let kind: String
    let kernel: String
}

/// `bench thumbnails --json`: one row per image and colour mode.
struct BenchThumbnailJSON: Codable {
    let image: String
    let width: Int
    let height: Int
    let mode: String
    let columns: Int
    let rows: Int
    let median_ms: Double
    let p95_ms: Double
}

extension Array: JSONReport where Element == BenchThumbnailJSON {}

/// `bench network --json`: encoding and one training step of an architecture (what
/// benchmarks/vs-pytorch reads).
struct BenchNetworkJSON: JSONReport {
    let arch: String
    let bits: Int
    @NullWhenAbsent var classes: Int?
    let batch: Int
    let threads: Int
    let iterations: Int
    let warmup: Int
    let encode_ms: Double
    let encode_images_per_second: Double
    @NullWhenAbsent var train_step_ms: Double?
    @NullWhenAbsent var train_images_per_second: Double?
    /// Null for a head on a backbone (its layers are not counted).
    @NullWhenAbsent var forward_gflop: Double?
    @NullWhenAbsent var encode_gflops: Double?
    @NullWhenAbsent var train_gflops: Double?
    /// The input side (3 x size x size).
    let size: Int
    /// With --backbone: its name and the blocks fine-tuned with the head; null otherwise.
    @NullWhenAbsent var backbone: String?
    @NullWhenAbsent var fine_tuned_blocks: Int?
}

/// `bench backbone --json`: an EfficientNet-Lite's forward pass to the pooled features.
struct BenchBackboneJSON: JSONReport {
    let model: String
    let size: Int
    let batch: Int
    let threads: Int
    let iterations: Int
    let warmup: Int
    /// channels, height, width.
    let feature_map: [Int]
    let ms_per_batch: Double
    let ms_per_image: Double
    let images_per_second: Double
    let min_ms_per_batch: Double
    let max_ms_per_batch: Double
    let forward_gflop: Double
    let gflops: Double
}
