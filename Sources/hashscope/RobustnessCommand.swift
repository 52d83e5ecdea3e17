import ArgumentParser
import Foundation
import Networks
import Basics
import Render
import Retrieval
import Services

struct RobustnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "robustness",
        abstract: "mAP and P@10 of transformed queries against the untouched database, over a sweep of strengths.",
        discussion: """
            --transform is OPERATION:START:STOP:STEP, e.g. rotate:0:90:15 for 0, 15, ..., 90 \
            degrees. For each strength every query image is transformed (before preprocessing) \
            and re-encoded; the database codes are encoded once, or taken from the same code \
            cache as `hashscope eval` (see its --help). Strength 0 of rotate therefore gives \
            eval's mAP.

            Output: a table (strength, mAP, P@10), and a line plot of mAP against strength \
            drawn with braille characters when stdout is a terminal; --json gives \
            {"transform", "protocol", "bits", "points": [{"strength", "map", "p_at_10"}]}; \
            --csv gives the header strength,map,p_at_10 and one row per strength. \
            --sheet OUT.jpg draws the figure of the CBAM+LSH paper for one query (the first of \
            the protocol's queries, or --sheet-query ID): a row per strength with the bent \
            query, its attention heatmap when the model has one, and its top 8 neighbours in \
            the database, each framed green or red for right or wrong class.

            Exit status: 0 printed; 1 printed, but some images were unreadable and left out \
            (each named on stderr); 2 bad input (a bad transform, an unknown protocol, a \
            missing or corrupt model, a gallery that cannot be opened).
            """)

    @OptionGroup var split: ProtocolOptions
    @OptionGroup var threading: ThreadOptions

    @OptionGroup var modelFile: ModelOption

    @Option(help: ArgumentHelp("The sweep, as OPERATION:START:STOP:STEP (e.g. rotate:0:90:15).", valueName: "sweep"))
    var transform: String

    @Option(help: ArgumentHelp("Use a seeded random subset of this many queries (default: all).", valueName: "n"))
    var queries: Int?

    @Flag(name: .customLong("no-cache"), help: "Encode the database; read and write no cached codes.")
    var noCache = false

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "Print CSV instead of a table.")
    var csv = false

    @Option(help: ArgumentHelp("Also write a JPEG figure: one row per strength for one query.", valueName: "file"))
    var sheet: String?

    @Option(name: .customLong("sheet-query"), help: ArgumentHelp("The gallery id of the sheet's query (default: the first query).", valueName: "id"))
    var sheetQuery: String?

    struct Point {
        let strength: Double
        let map: Double
        let pAt10: Double
    }

    func run() throws {
        threading.configure()
        MemoryTuning.keepFreedMemoryForReuse()
        let loaded: LoadedModel, data: ProtocolData, sweep: AugmentationSweep
        guard !(json && csv) else { throw CommandError("--json and --csv cannot be given together") }
        if let queries, queries < 1 { throw CommandError("--queries must be at least 1 (got \(queries))") }
        if let sheet { try OutputFile.check(sheet) }
        sweep = try AugmentationSweep(parsing: transform)
        loaded = try LoadedModel(path: modelFile.model)
        data = try split.open()
        let network = loaded.network, preprocessor = loaded.preprocessor
        var skipped: [SkippedImage] = []

        // The database: from the code cache as eval keeps it, or encoded (and cached) once.
        let database: BinaryCodes, databaseIndices: [Int]
        (database, databaseIndices) = try databaseCodes(network: network, preprocessor: preprocessor, data: data,
                                                        skipped: &skipped)

        var queryIndices = data.split.query
        if let queries, queries < queryIndices.count {
            var generator = SeededGenerator(seed: split.seed ^ 0x5EED_0F_0E_BE57)
            generator.shuffle(&queryIndices)
            queryIndices = Array(queryIndices.prefix(queries)).sorted()
        }
        let cutoffs = data.split.cutoffs
        let cutoffs10 = cutoffs.contains(10) ? cutoffs : (cutoffs + [10]).sorted()
        let at10 = cutoffs10.firstIndex(of: 10)!

        let sheetItem: Int?
        sheetItem = try sheet == nil ? nil : figureQuery(data: data, queries: queryIndices)
        var figureRows: [RGBImage] = []

        var points: [Point] = []
        let specs = sweep.specs()
        for (strength, spec) in zip(sweep.strengths, specs) {
            let progress = Diagnostics.progressLine(label: "\(sweep.operation.rawValue) \(AugmentationNumber.format(strength))")
            let source = data.imageSource
            let load: ImageBatchLoader.ImageSource = { try spec.apply(to: source($0)) }
            let result = NetworkEncoder.encode(network, indices: queryIndices, preprocessor: preprocessor, threads: threading.threads,
                                               load: load) { done, total in progress?(done, total) }
            if progress != nil { Diagnostics.endProgressLine() }
            if strength == sweep.strengths.first { skipped += result.skipped }
            guard !result.indices.isEmpty else {
                throw CommandError("\(data.spec): no readable query images under \(data.split.name)")
            }
            let codes = network.binaryCodes(result.values)
            let metrics: RetrievalMetrics
            let relevance = try Relevance(query: data.labelSet(result.indices), database: data.labelSet(databaseIndices))
            metrics = RetrievalEvaluator.evaluate(queries: codes, database: database, relevance: relevance,
                                                  topK: data.split.topK, cutoffs: cutoffs10, threads: threading.threads)
            points.append(Point(strength: strength, map: metrics.meanAveragePrecision, pAt10: metrics.precisionAt[at10]))
            if let sheetItem {
                figureRows.append(try figureRow(item: sheetItem, spec: spec, label: "\(sweep.operation.rawValue) \(AugmentationNumber.format(strength))",
                                                loaded: loaded, data: data, database: database, databaseIndices: databaseIndices))
            }
        }
        if let sheet, !figureRows.isEmpty {
            do { try AtomicFileWriter.write(try JPEGEncoder.encode(SheetStack.vertical(figureRows)), to: sheet) } catch {
                throw CommandError("\(sheet): \(error.localizedDescription)")
            }
            Diagnostics.error("wrote \(sheet)")
        }

        for item in skipped { Diagnostics.error("skipped \(item)") }
        if json {
            print(RobustnessJSON(transform: sweep.description, protocol: data.split.name, bits: network.bits,
                                 points: points.map { .init(strength: $0.strength, map: $0.map, p_at_10: $0.pAt10) }).jsonText)
        } else if csv {
            print("strength,map,p_at_10")
            for p in points { print("\(AugmentationNumber.format(p.strength)),\(p.map),\(p.pAt10)") }
        } else {
            var lines = ["model        \(modelFile.model)", "protocol     \(data.split.name) on \(split.dataset), \(queryIndices.count) queries",
                         "transform    \(sweep.description)", "",
                         "strength    mAP      P@10"]
            for p in points {
                lines.append(AugmentationNumber.format(p.strength).padding(toLength: 10, withPad: " ", startingAt: 0)
                             + "  " + String(format: "%.4f", p.map) + "   " + String(format: "%.4f", p.pAt10))
            }
            if isatty(STDOUT_FILENO) == 1 {
                lines.append("")
                lines += BrailleLinePlot.draw(x: points.map(\.strength), y: points.map(\.map),
                                              xLabel: sweep.operation.rawValue, yLabel: "mAP")
            }
            print(lines.joined(separator: "\n"))
        }
        fflush(nil)
        if !skipped.isEmpty { throw ExitCode(1) }
    }

    /// The gallery position of the figure's query: --sheet-query, or the first query.
    private func figureQuery(data: ProtocolData, queries: [Int]) throws -> Int {
        guard let sheetQuery else { return queries[0] }
        guard let i = data.gallery.items.firstIndex(where: { $0.id == sheetQuery }) else {
            throw CommandError("--sheet-query \(sheetQuery): no such item in \(split.dataset)")
        }
        return i
    }

    /// One row of the figure: the query bent by `spec`, its heatmap, its top 8 in the database.
    private func figureRow(item: Int, spec: AugmentationSpec, label: String, loaded: LoadedModel, data: ProtocolData,
                           database: BinaryCodes, databaseIndices: [Int]) throws -> RGBImage {
        let network = loaded.network
        let bent = try spec.apply(to: data.gallery.image(at: item))
        let encoded = network.encodeWithAttention(bent, preprocessor: loaded.preprocessor, attention: network.hasAttention)
        let code = network.binaryCodes(encoded.codes)
        let gallery = data.gallery, items = gallery.items
        let queryLabels = Set(items[item].labels)
        let found = BinaryFlatIndex(codes: database).search(code, k: min(9, database.count), threads: 1).neighbours(ofQuery: 0)
            .filter { databaseIndices[$0.index] != item }.prefix(8)
        let results = try found.enumerated().map { rank, n in
            let i = databaseIndices[n.index]
            return SheetResult(image: try data.gallery.image(at: i), rank: rank + 1, distance: n.distance, label: gallery.labelText(items[i].labels),
                               isRelevant: !queryLabels.isDisjoint(with: items[i].labels))
        }
        let right = results.filter(\.isRelevant).count
        return ContactSheet(query: bent, queryCaption: [label, gallery.labelText(items[item].labels)],
                            heatmap: encoded.map.map { Heatmap.overlay($0, on: bent) }, results: results,
                            title: "\(label): \(right) of \(results.count) right").render()
    }

    /// The database codes as eval caches them (same key, same files), encoding on a miss.
    private func databaseCodes(network: HashingNetwork, preprocessor: ImagePreprocessor, data: ProtocolData,
                               skipped: inout [SkippedImage]) throws -> (BinaryCodes, [Int]) {
        let cache = noCache ? nil : CodeCache(folder: CodeCache.defaultFolder)
        let found = CodeEvaluation.sideCodes(.database, network: network, data: data, cache: cache,
                                             note: { Diagnostics.error($0) }) { expected in
            let progress = Diagnostics.progressLine(label: "encoding database")
            defer { if progress != nil { Diagnostics.endProgressLine() } }
            return NetworkEncoder.encode(network, indices: expected, preprocessor: preprocessor, threads: threading.threads,
                                         load: data.imageSource) { done, total in progress?(done, total) }
        }
        skipped += found.encoded?.skipped ?? []
        guard let codes = found.codes else {
            throw CommandError("\(data.spec): no readable database images under \(data.split.name)")
        }
        return (codes, found.items)
    }
}
