import ArgumentParser
import Foundation
import Networks
import Retrieval
import Services

/// `eval --search lsh`: the CNN+CBAM+LSH pipeline end to end (docs/ARCHITECTURE.md, Definitions: the methods).
/// The model encodes the protocol's queries and database to its real-valued outputs (the
/// relaxed codes before binarisation: tanh or fc features; a sigmoid layer's outputs less 0.5,
/// so their signs are the binary code), the database goes into Retrieval's cosine LSH index,
/// and each query is answered by bucket probe and cosine re-rank (`LSHEvaluation`). Nothing is
/// cached: the codes cache holds binary codes only, and these are floats.
extension EvalCommand {
    /// --tables, --table-bits and --probes when not given.
    static let lshDefaults = (tables: 8, tableBits: 16, probes: 4)
    /// Why those, for --help (ends the sentence "The defaults (...").
    static let lshDefaultsWhy = """
        8 tables x 16 bits, 4 probes) are sized for galleries of thousands to about
        100,000 images: 2^16 buckets per table is about one per item at CIFAR-10's
        50,000, and several tables with a few probes each win back the neighbours that
        one bucket misses. Measured with the committed 48-bit cbam model on CIFAR-10
        (cifar10-1000, release build, 2026-11-23), they probe 16% of the database, find
        82% of the relevant items among those, keep P@10, P@100 and P@1000 at
        exhaustive cosine's, and take 0.8 ms a query against 5.6 ms for every bucket.
        """

    /// The limits the options are checked against (each a one-line error, exit 2).
    static let lshTableRange = 1...256

    /// One line naming the bad option, or nil when --search lsh's options are usable.
    static func lshOptionProblem(search: String, tables: Int, tableBits: Int, probes: Int) -> String? {
        guard search == "exact" || search == "lsh" else { return "unknown --search '\(search)': expected exact or lsh" }
        guard lshTableRange.contains(tables) else {
            return "--tables must be \(lshTableRange.lowerBound)...\(lshTableRange.upperBound) (got \(tables))"
        }
        guard (1...LSHIndex.maxBitsPerTable).contains(tableBits) else {
            return "--table-bits must be 1...\(LSHIndex.maxBitsPerTable) (got \(tableBits))"
        }
        guard probes >= 1 else { return "--probes must be at least 1 (got \(probes))" }
        return nil
    }

    func runLSHSearch() throws {
        let (loaded, data) = try openInputs {
            if let problem = Self.lshOptionProblem(search: search, tables: tables, tableBits: tableBits, probes: probes) {
                throw CommandError(problem)
            }
        }

        let progress = Diagnostics.progressLine(label: "encoding")
        let network = loaded.network
        let total = data.split.query.count + data.split.database.count
        var encodeSeconds = 0.0, encodedImages = 0
        var skipped: [SkippedImage] = []
        func features(_ indices: [Int], base: Int) -> (FeatureMatrix?, [Int]) {
            let result = NetworkEncoder.encode(network, indices: indices, preprocessor: loaded.preprocessor, threads: threading.threads,
                                               load: data.imageSource) { done, _ in progress?(base + done, total) }
            encodeSeconds += result.seconds
            encodedImages += result.indices.count
            skipped += result.skipped
            guard !result.indices.isEmpty else { return (nil, []) }
            let values = network.activation == .sigmoid ? result.values.map { $0 - 0.5 } : result.values
            return (FeatureMatrix(rows: result.indices.count, dimension: network.bits, values: values), result.indices)
        }
        let (queries, queryIndices) = features(data.split.query, base: 0)
        let (database, databaseIndices) = features(data.split.database, base: data.split.query.count)
        if progress != nil { Diagnostics.endProgressLine() }

        let evaluation: LSHEvaluation
        do {
            guard let queries, let database else {
                throw CommandError("\(data.spec): no readable \(queries == nil ? "query" : "database") images under \(data.split.name)")
            }
            let relevance = try Relevance(query: data.labelSet(queryIndices), database: data.labelSet(databaseIndices))
            evaluation = try LSHEvaluation.run(queries: queries, database: database, relevance: relevance,
                                               tables: tables, bitsPerTable: tableBits, probes: probes, seed: 0,
                                               topK: data.split.topK, cutoffs: data.split.cutoffs, threads: threading.threads)
        } catch let error as RelevanceError {
            throw CommandError("\(data.spec): \(error.message)")
        }
        for item in skipped { Diagnostics.error("skipped \(item)") }

        let imagesPerSecond = encodeSeconds > 0 ? Double(encodedImages) / encodeSeconds : 0
        if json {
            print(Self.lshJSON(evaluation, bits: network.bits, protocolName: data.split.name, model: modelFile.model, dataset: split.dataset,
                               imagesPerSecond: imagesPerSecond).jsonText)
        } else {
            print(["model        \(modelFile.model)", "protocol     \(data.split.name) on \(split.dataset)",
                   "encode       \(Int(imagesPerSecond.rounded())) images/s",
                   Self.lshTable(evaluation, bits: network.bits)].joined(separator: "\n"))
        }
        fflush(nil)  // all C streams: stdout is block-buffered through a pipe
        if !skipped.isEmpty { throw ExitCode(1) }
    }

    static func lshTable(_ evaluation: LSHEvaluation, bits: Int) -> String {
        let metrics = evaluation.metrics
        func number(_ value: Double) -> String { String(format: "%.4f", value) }
        func padded(_ label: String) -> String { label.padding(toLength: 13, withPad: " ", startingAt: 0) }
        let all = metrics.topK == metrics.databaseCount
        var lines = [
            "search       lsh: \(evaluation.tables) tables x \(evaluation.bitsPerTable) bits, \(evaluation.probes) probes per table, cosine re-rank",
            "queries      \(metrics.queries)",
            "database     \(metrics.databaseCount)",
            "bits         \(bits) (feature dimension)",
            "labels       \(metrics.isMultiLabel ? "multi-hot (relevant: shares a label)" : "class ids (relevant: same class)")",
            padded("mAP@\(all ? "all" : String(metrics.topK))") + number(metrics.meanAveragePrecision),
            "",
            "k            P@k      R@k",
        ]
        for (i, k) in metrics.cutoffs.enumerated() {
            lines.append(padded(String(k)) + number(metrics.precisionAt[i]) + "   " + number(metrics.recallAt[i]))
        }
        let fraction = metrics.meanCandidatesFraction
        lines += [
            "probed set   " + number(metrics.headPrecision) + "   " + number(metrics.headRecall) + "   (the candidates as the retrieved set)",
            "",
            "candidates   \(String(format: "%.1f", evaluation.meanCandidates)) per query (\(String(format: "%.2f", fraction * 100))% of the database)",
            "query time   \(String(format: "%.3f", evaluation.meanQueryMilliseconds)) ms mean (one thread; probe, cosine, sort)",
            "index build  \(String(format: "%.3f", evaluation.buildSeconds)) s",
        ]
        return lines.joined(separator: "\n")
    }

    /// The keys of `eval`'s JSON that mean the same here, none of the Hamming-radius ones, and
    /// the LSH's own.
    static func lshJSON(_ evaluation: LSHEvaluation, bits: Int, protocolName: String, model: String, dataset: String,
                        imagesPerSecond: Double) -> LSHEvalJSON {
        let metrics = evaluation.metrics
        func byK(_ values: [Double]) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: zip(metrics.cutoffs.map(String.init), values))
        }
        return LSHEvalJSON(search: "lsh", map: metrics.meanAveragePrecision, topk: metrics.topK, queries: metrics.queries,
                           database: metrics.databaseCount, bits: bits, multi_label: metrics.isMultiLabel,
                           p_at: byK(metrics.precisionAt), r_at: byK(metrics.recallAt), tables: evaluation.tables,
                           table_bits: evaluation.bitsPerTable, probes: evaluation.probes,
                           candidates_per_query: metrics.meanHeadLength, candidate_precision: metrics.headPrecision,
                           candidate_recall: metrics.headRecall, query_ms: evaluation.meanQueryMilliseconds,
                           build_seconds: evaluation.buildSeconds, protocol: protocolName, model: model, dataset: dataset,
                           encode_images_per_second: (imagesPerSecond * 10).rounded() / 10, cached: false)
    }
}

private extension RankingMetrics {
    var meanCandidatesFraction: Double { databaseCount == 0 ? 0 : meanHeadLength / Double(databaseCount) }
}
