import Interchange
import ArgumentParser
import Foundation
import Retrieval

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "mAP@k, P@k, R@k and Hamming-radius precision/recall of codes made anywhere (.npy files).",
        discussion: """
            Every query ranks the whole database by Hamming distance, ties broken by \
            database index. Relevant = shares at least one label. Every value is a \
            mean over ALL queries.
              mAP@k     DeepHash-pytorch's CalcTopMap: AP over the top k (--topk;
                        default and any larger k: the whole database); a query
                        with no relevant item in its top k counts 0.
              P@k, R@k  DeepHash-pytorch's pr_curve: hits in the top k / k, and
                        hits / relevant in the database (k beyond the database:
                        the hits of the whole database, still divided by k).
              r <= 2    precision and recall of everything within Hamming
                        radius 2; a query with nothing within it counts
                        precision 0 and recall 0 (thulab/DeepHash).
            The JSON also holds "pr_curve": precision and recall at every radius \
            0...bits, and "r_at".

            These rank ties by database index, the field's convention, so among codes at \
            the same distance gallery order decides. Beside them ("tie-aware" in the \
            table, "tie_aware" in the JSON, with the same keys) are mAP, P@k and R@k as \
            expectations over every order of the tied items (McSherry and Najork, ECIR \
            2008); the radius figures need none, since a radius never splits a distance.

            Codes: numpy .npy (format 1.0, 2.0, 3.0), 2-D, one row per item.
              float32, float64  read by sign, value >= 0 -> bit 1: ±1 codes, sign()
                                outputs (0 counts as +1) and real-valued tanh
                                outputs all work; an array with no negative
                                value is refused (every bit would be 1)
              int8 ... int64    ±1 codes (0 counts as +1); other values refused
              uint8, bool       0/1 codes
              uint8 + --packed BITS
                                faiss layout: BITS/8 bytes per code, bit j is
                                bit j%8 of byte j/8; BITS a multiple of 8 that
                                matches the array's columns
            Codes have 8...1024 bits; queries and database the same number. \
            Labels: 1-D integer class ids (or an (N, 1) integer column), or 2-D \
            multi-hot rows (N, classes) of 0/1 in any dtype; one row per code. \
            Class ids against multi-hot rows are compared as one-hot rows.

            Exit status: 0 metrics printed; 2 bad input (a file missing or \
            unreadable, an unsupported dtype or shape, code lengths or label \
            counts that do not match, k <= 0, a bad --packed): one line on \
            stderr naming the file, nothing on stdout.
            """)

    @OptionGroup var threading: ThreadOptions

    @Option(name: .customLong("query-codes"), help: ArgumentHelp("Query codes (.npy).", valueName: "file"))
    var queryCodes: String

    @Option(name: .customLong("db-codes"), help: ArgumentHelp("Database codes (.npy).", valueName: "file"))
    var dbCodes: String

    @Option(name: .customLong("query-labels"), help: ArgumentHelp("Query labels (.npy).", valueName: "file"))
    var queryLabels: String

    @Option(name: .customLong("db-labels"), help: ArgumentHelp("Database labels (.npy).", valueName: "file"))
    var dbLabels: String

    @Option(help: ArgumentHelp("The k of mAP@k (default: the whole database; 5000 is usual for multi-label sets).", valueName: "k"))
    var topk: Int?

    @Option(help: ArgumentHelp("The codes are uint8 bytes packed faiss-style, BITS bits per code.", valueName: "bits"))
    var packed: Int?

    @Option(name: .customLong("at"), help: ArgumentHelp("Also report P@k and R@k at k (repeatable; 10, 100, 1000 always).", valueName: "k"))
    var extraCutoffs: [Int] = []

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    func run() throws {
        threading.configure()
        let metrics = try evaluate()
        print(json ? MetricsJSON(metrics).jsonText : MetricsReport.table(metrics))
    }

    private func evaluate() throws -> RetrievalMetrics {
        if let topk, topk <= 0 { throw CommandError("--topk must be a positive k (got \(topk)); leave it out for all") }
        if let bad = extraCutoffs.first(where: { $0 <= 0 }) { throw CommandError("--at must be a positive k (got \(bad))") }
        if let packed {
            guard BinaryCodes.bitRange.contains(packed), packed % 8 == 0 else {
                throw CommandError("--packed \(packed): packed codes need a multiple of 8 bits in 8...1024")
            }
        }

        let queries = try NPYInputs.codes(NPYFile.read(queryCodes), source: queryCodes, packedBits: packed)
        let database = try NPYInputs.codes(NPYFile.read(dbCodes), source: dbCodes, packedBits: packed)
        guard queries.bits == database.bits else {
            throw CommandError("\(dbCodes): \(database.bits)-bit codes, but the query codes (\(queryCodes)) have \(queries.bits) bits")
        }
        let queryLabelSet = try NPYInputs.labels(NPYFile.read(queryLabels), source: queryLabels)
        let databaseLabelSet = try NPYInputs.labels(NPYFile.read(dbLabels), source: dbLabels)
        for (labels, codes, labelFile, codeFile) in [(queryLabelSet, queries, queryLabels, queryCodes), (databaseLabelSet, database, dbLabels, dbCodes)]
        where labels.count != codes.count {
            throw CommandError("\(labelFile): \(labels.count) labels for the \(codes.count) codes of \(codeFile)")
        }
        let relevance: Relevance
        do { relevance = try Relevance(query: queryLabelSet, database: databaseLabelSet) } catch {
            throw CommandError("\(error.side == .query ? queryLabels : dbLabels): \(error.message)")
        }
        return RetrievalEvaluator.evaluate(queries: queries, database: database, relevance: relevance, topK: topk,
                                           cutoffs: RetrievalMetrics.standardCutoffs + extraCutoffs, threads: threading.threads)
    }
}
