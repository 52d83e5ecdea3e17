import ArgumentParser
import Foundation
import Networks
import Retrieval
import Services

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Encode a protocol's queries and database with a model and report retrieval metrics.",
        discussion: """
            The metrics are those of `hashscope metrics` (see its --help), on the protocol's \
            queries against its database; the JSON has the same keys plus "protocol", \
            "bits", "encode_images_per_second" (null when every code came from the cache), \
            "cached", "model" and "dataset", and "tie_aware" as `metrics` explains.

            Codes are cached in $XDG_CACHE_HOME/hashscope/codes (or ~/.cache/hashscope/codes) \
            as hashscope index files, keyed by the model's weights, the gallery, the protocol \
            and the seed, so a second eval skips encoding. A cache file that is damaged or \
            does not match is ignored and rewritten. --no-cache encodes and keeps nothing.

            A head on a backbone (a model trained with --backbone) encodes from the \
            backbone's trunk features in the feature cache ($XDG_CACHE_HOME/hashscope/features, \
            computed and cached when missing, as `train` does); --no-cache runs the images \
            through the whole network instead. "encoded_from" in the JSON says which \
            ("images" or "cached backbone features").

            --search lsh is the CNN+CBAM+LSH pipeline: it ranks by cosine over the \
            model's real-valued outputs (the relaxed codes before binarisation: tanh or fc \
            features; sigmoid outputs less 0.5). The database's go into --tables \
            random-hyperplane (cosine) LSH tables of --table-bits hyperplanes each (drawn \
            from seed 0); a query probes --probes buckets per table (its own, then \
            query-directed multi-probe), and its candidates, the union over the tables, \
            are scored by exact cosine. The ranking scored is the candidates by \
            descending cosine (ties by database index), then every item never probed, in \
            database order. mAP@k, P@k and R@k are defined over that ranking exactly as \
            over a Hamming ranking, so mAP@all stays defined and comparable with exact \
            search, and equals exact cosine ranking once --probes reaches 2^table-bits \
            (every bucket). The Hamming-radius line becomes the probed set's: precision = \
            relevant candidates / candidates (0 for none), recall = relevant candidates / \
            relevant items, each averaged over the queries. Also reported: mean candidates \
            per query; mean query time in ms, i.e. the searches of all queries one after \
            another on one thread (normalising and projecting the query, probing, cosine \
            scoring and sorting its candidates; encoding and metric scoring excluded) \
            divided by the number of queries; the index build time. The defaults \
            (\(EvalCommand.lshDefaultsWhy)

            JSON with --search lsh: "search" ("lsh"), "map", "topk", "queries", \
            "database", "bits", "multi_label", "p_at", "r_at" as above; \
            "candidate_precision", "candidate_recall", "candidates_per_query", \
            "query_ms", "build_seconds", "tables", "table_bits", "probes" (per table, \
            capped at 2^table-bits); "protocol", "model", "dataset", \
            "encode_images_per_second" and "cached" (always false: the float outputs are \
            encoded every time, never cached). There is no "p_r2", "r_r2" or "pr_curve".

            Exit status: 0 metrics printed; 1 printed, but some images were unreadable and \
            left out (each named on stderr); 2 bad input (a missing, corrupt or mismatched \
            model file, a gallery that cannot be opened or does not fit the protocol).
            """)

    @OptionGroup var split: ProtocolOptions
    @OptionGroup var threading: ThreadOptions

    @OptionGroup var modelFile: ModelOption

    @Option(help: ArgumentHelp("exact: Hamming ranking of the binary codes; lsh: cosine LSH over the real-valued outputs (see below).", valueName: "exact|lsh"))
    var search = "exact"

    @Option(help: ArgumentHelp("--search lsh: number of hash tables, 1...256.", valueName: "L"))
    var tables = EvalCommand.lshDefaults.tables

    @Option(name: .customLong("table-bits"), help: ArgumentHelp("--search lsh: hyperplanes per table (bucket key bits), 1...32.", valueName: "K"))
    var tableBits = EvalCommand.lshDefaults.tableBits

    @Option(help: ArgumentHelp("--search lsh: buckets probed per table (1 = the query's own); 2^K probes every bucket.", valueName: "n"))
    var probes = EvalCommand.lshDefaults.probes

    @Flag(name: .customLong("no-cache"), help: "Encode every image; read and write no cached codes.")
    var noCache = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        threading.configure()
        if search != "exact" { return try runLSHSearch() }
        let (loaded, data) = try openInputs()
        let progress = Diagnostics.progressLine(label: "encoding")
        let evaluation: CodeEvaluation
        var fromFeatures = false
        do {
            let cache = noCache ? nil : CodeCache(folder: CodeCache.defaultFolder)
            if !noCache, let inputs = try FeatureCache(folder: FeatureCache.defaultFolder)
                .headInputs(model: loaded, gallery: data.gallery, threads: threading.threads,
                            note: { Diagnostics.error($0) }, progress: progress) {
                fromFeatures = true
                evaluation = try CodeEvaluation.run(network: inputs.head, data: data, cache: cache, threads: threading.threads,
                                                    note: { Diagnostics.error($0) }, progress: progress) {
                    NetworkEncoder.encode(inputs.head, features: inputs.features, indices: $0, progress: $1)
                }
            } else {
                evaluation = try CodeEvaluation.run(network: loaded.network, preprocessor: loaded.preprocessor, data: data,
                                                    cache: cache, threads: threading.threads, note: { Diagnostics.error($0) }, progress: progress)
            }
        } catch {
            if progress != nil { Diagnostics.endProgressLine() }
            throw CommandError(error.localizedDescription)
        }
        if progress != nil { Diagnostics.endProgressLine() }
        for item in evaluation.skipped { Diagnostics.error("skipped \(item)") }
        let metrics = evaluation.metrics
        if json {
            let run = EvalJSON.Run(protocol: data.split.name, model: modelFile.model, dataset: split.dataset,
                                   encode_images_per_second: evaluation.imagesPerSecond.map { ($0 * 10).rounded() / 10 },
                                   cached: evaluation.cached, encoded_from: fromFeatures ? "cached backbone features" : "images")
            print(EvalJSON(metrics: MetricsJSON(metrics), run: run).jsonText)
        } else {
            let speed = evaluation.imagesPerSecond.map { "\(Int($0.rounded())) images/s" + (fromFeatures ? " (from cached backbone features)" : "") }
                ?? "cached codes"
            print(["model        \(modelFile.model)", "protocol     \(data.split.name) on \(split.dataset)", "encode       \(speed)",
                   MetricsReport.table(metrics)].joined(separator: "\n"))
        }
        fflush(nil)  // all C streams: stdout is block-buffered through a pipe (and a global Swift 6 will not touch)
        if !evaluation.skipped.isEmpty { throw ExitCode(1) }
    }

    /// The model and the protocol's data after `check` and the common checks; any failure is one
    /// line on stderr and exit 2.
    func openInputs(check: () throws -> Void = {}) throws -> (LoadedModel, ProtocolData) {
        MemoryTuning.keepFreedMemoryForReuse()
        try check()
        return (try LoadedModel(path: modelFile.model), try split.open())
    }
}
