import ArgumentParser
import Foundation
import Networks
import Basics
import Render
import Retrieval
import Services

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Retrieve a query's nearest gallery images by Hamming distance of a model's codes.",
        discussion: """
            The database is every item of the gallery (--gallery), encoded with the model and \
            cached like `eval`'s codes (keyed by the model's weights and the gallery), or the \
            codes of an index file (--index; its images come from --gallery, or from the \
            gallery the index names). The query is an image file (--query) or a gallery item \
            (--query-id; the item itself is left out of the results). --augment applies an \
            augmentation spec (e.g. rotate:30,crop:0.8,brightness:1.2) to the query before it \
            is encoded.

            Codes made elsewhere: --codes DIR opens a DeepHash-pytorch save folder \
            (tst_binary.npy, trn_binary.npy, tst_label.npy, trn_label.npy) as the database; \
            --gallery names the database images (its database.txt, as list:FILE) and --queries \
            the query images (test.txt), their relative paths under --image-root when given; \
            the query is a row of tst_binary.npy (--query-index N, or --query-id with its path \
            in test.txt), searched with the folder's own code. P@n and AP are those `metrics` \
            gives for that query. Bends and image files need a model: with --model M (of the \
            folder's code length), --augment bends the row's image and --query FILE takes a \
            file, each encoded by M and searched against the folder's database, a bent row \
            still judged by its labels. Row counts that disagree with the list files, a missing \
            file, a bad array or a model of another code length are one line naming the \
            file(s), exit 2.

            A result is relevant when it shares a label with the query; precision is \
            relevant / top, and null when the query has no label (a file).

            Output: a table (default); --json: the ranked list (rank, id, label, distance, \
            relevant) and precision; --print: the query and results as chafa thumbnails on \
            stdout, with distance and label under each (--colors picks the colour mode); \
            --sheet OUT.jpg: a JPEG contact sheet, the query then the results framed green \
            (same class) or red. Attention heatmaps are not drawn on the sheet yet.

            Exit status: 0 results written; 2 bad input (a missing model, gallery, index or \
            query, an unknown query id, a bad augment spec, --top below 1), nothing written.
            """)

    @OptionGroup var threading: ThreadOptions

    @Option(help: ArgumentHelp("The model file (.safetensors with hashscope metadata); with --codes, the one that encodes bent and image-file queries.", valueName: "file"))
    var model: String?

    @OptionGroup var codesFolder: CodesFolderOptions
    var codes: String? { codesFolder.codes }
    var queries: String? { codesFolder.queries }
    var imageRoot: String? { codesFolder.imageRoot }

    @Option(name: .customLong("query-index"), help: ArgumentHelp("With --codes: the query's row in tst_binary.npy (0-based).", valueName: "n"))
    var queryIndex: Int?

    @Option(help: ArgumentHelp("The gallery, as KIND:PATH.", valueName: "spec"))
    var gallery: String?

    @Option(help: ArgumentHelp("A hashscope index file of database codes, instead of encoding the gallery.", valueName: "file"))
    var index: String?

    @Option(help: ArgumentHelp("An image file to search with.", valueName: "file"))
    var query: String?

    @Option(name: .customLong("query-id"), help: ArgumentHelp("A gallery item id to search with.", valueName: "id"))
    var queryID: String?

    @Option(help: ArgumentHelp("Augmentation spec applied to the query, e.g. rotate:30,crop:0.8.", valueName: "spec"))
    var augment: String?

    @Option(help: "How many results.")
    var top: Int = 10

    @Flag(name: .customLong("no-cache"), help: "Encode the gallery; read and write no cached codes.")
    var noCache = false

    @Flag(help: "Print the ranked list and precision as JSON.")
    var json = false

    @Flag(name: .customLong("print"), help: "Draw the query and results as thumbnails on stdout.")
    var printThumbnails = false

    @Option(help: ArgumentHelp("Write a JPEG contact sheet to this file.", valueName: "out.jpg"))
    var sheet: String?

    @Option(help: ArgumentHelp("Colour mode for --print: truecolor, 256, 16, 8 or mono.", valueName: "mode"))
    var colors: String = "truecolor"

    @Option(help: ArgumentHelp("Thumbnail width in columns for --print.", valueName: "n"))
    var columns: Int = 16

    func run() throws {
        threading.configure()
        if codes != nil { return try runCodesFolder() }
        guard queries == nil, queryIndex == nil, imageRoot == nil else {
            throw CommandError("--queries, --query-index and --image-root need --codes (a codes folder's query images)")
        }
        MemoryTuning.keepFreedMemoryForReuse()
        let plan: SearchPlan
        plan = try prepare()
        let progress = Diagnostics.progressLine(label: "encoding")
        let outcome: SearchOutcome
        do { outcome = try plan.run(threads: threading.threads, cache: noCache ? nil : CodeCache.defaultFolder,
                                    note: { Diagnostics.error($0) }, progress: progress) } catch {
            if progress != nil { Diagnostics.endProgressLine() }
            throw CommandError(error.localizedDescription)
        }
        if progress != nil { Diagnostics.endProgressLine() }
        if let sheet {
            do { try outcome.contactSheet(plan: plan).writeJPEG(to: sheet) } catch {
                throw CommandError("\(sheet): \(error.localizedDescription)")
            }
        }
        if json {
            print(outcome.json(plan: plan).jsonText)
        } else if printThumbnails {
            // Checked in prepare().
            let mode = ColorMode(rawValue: colors) ?? .truecolor
            print(outcome.thumbnails(plan: plan, mode: mode, columns: columns), terminator: "")
        } else if sheet == nil {
            print(outcome.table(plan: plan))
        } else {
            print("wrote \(sheet!): query and top \(outcome.results.count)" + outcome.precisionText)
        }
        fflush(nil)
    }

    /// Every input checked before anything is encoded or written.
    private func prepare() throws -> SearchPlan {
        guard top >= 1 else { throw CommandError("--top must be at least 1 (got \(top))") }
        guard columns >= 2 else { throw CommandError("--columns must be at least 2 (got \(columns))") }
        guard ColorMode(rawValue: colors) != nil else {
            throw CommandError("unknown --colors '\(colors)': expected one of \(ColorMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard [json, printThumbnails].filter({ $0 }).count <= 1 else { throw CommandError("--json and --print exclude each other") }
        switch (query, queryID) {
        case (nil, nil): throw CommandError("no query: give --query FILE or --query-id ID")
        case (.some, .some): throw CommandError("give one of --query and --query-id, not both")
        default: break
        }
        if let sheet { try OutputFile.check(sheet) }
        let spec: AugmentationSpec
        do { spec = try augment.map { try AugmentationSpec(parsing: $0) } ?? .identity } catch {
            throw CommandError("bad --augment: \(error.localizedDescription)")
        }
        guard let modelPath = model else { throw CommandError("no model: give --model FILE (or --codes DIR for codes made elsewhere)") }
        let loaded = try LoadedModel(path: modelPath)
        var database: HashIndex?
        var gallerySpec = gallery
        if let index {
            guard FileManager.default.fileExists(atPath: index) else { throw CommandError("\(index): no such index file") }
            let file = try CodeFileLoader.load(index).index
            guard file.codes.bits == loaded.network.bits else {
                throw CommandError("\(index): \(file.codes.bits)-bit codes, but \(modelPath) makes \(loaded.network.bits)-bit codes")
            }
            // Codes of another model are not comparable with this model's query code, even at
            // the same length. Codes from elsewhere (a faiss file) carry no fingerprint.
            guard file.metadata.modelFingerprint.isEmpty || file.metadata.modelFingerprint == loaded.fingerprint else {
                throw CommandError("\(index): its codes were made by another model (fingerprint \(file.metadata.modelFingerprint.prefix(12))...), not by \(modelPath)")
            }
            if gallerySpec == nil, !file.metadata.gallery.isEmpty { gallerySpec = file.metadata.gallery }
            database = file
        }
        guard let gallerySpec else {
            throw CommandError(index == nil ? "no gallery: give --gallery KIND:PATH (or --index FILE)"
                             : "\(index!): names no gallery; give --gallery KIND:PATH for its images")
        }
        let opened = try GalleryOpener.open(gallerySpec)
        let queryImage: RGBImage, queryItem: Int?
        if let queryID {
            guard let i = opened.items.firstIndex(where: { $0.id == queryID }) else {
                throw CommandError("unknown --query-id '\(queryID)' in \(gallerySpec)")
            }
            queryItem = i
            queryImage = try opened.image(at: i)
        } else {
            queryItem = nil
            queryImage = try ImageDecoder.decode(file: query!)
        }
        let augmented = try spec.apply(to: queryImage)
        return SearchPlan(loaded: loaded, gallery: opened, gallerySpec: gallerySpec, database: database,
                          query: augmented, queryItem: queryItem, queryName: queryID ?? query!, augment: spec, top: top)
    }
}

/// A checked search: the model, the gallery, the query image and where the database codes come from.
struct SearchPlan {
    let loaded: LoadedModel
    let gallery: any Gallery
    let gallerySpec: String
    /// Database codes from --index, or nil: encode the gallery.
    let database: HashIndex?
    let query: RGBImage
    let queryItem: Int?
    let queryName: String
    let augment: AugmentationSpec
    let top: Int

    var queryLabels: [Int]? {
        guard let queryItem else { return nil }
        let labels = gallery.items[queryItem].labels
        return labels.isEmpty ? nil : labels
    }

    func labelText(_ labels: [Int], classNames: [String]) -> String { GalleryLabels.text(labels, classNames: classNames) }

    func run(threads: Int, cache: String?, note: (String) -> Void, progress: ((Int, Int) -> Void)?) throws -> SearchOutcome {
        let network = loaded.network
        let image = query
        let encodedQuery = NetworkEncoder.encode(network, indices: [0], preprocessor: loaded.preprocessor, threads: 1,
                                                 load: { _ in image })
        guard encodedQuery.indices == [0] else { throw CommandError("\(queryName): the query could not be encoded") }
        let queryCode = network.binaryCodes(encodedQuery.values)

        // The database: codes, their labels, ids and gallery positions (nil when the gallery lacks the id).
        let codes: BinaryCodes, labels: [[Int]], ids: [String], classNames: [String], cached: Bool
        if let database {
            codes = database.codes
            ids = database.itemIDs.isEmpty ? (0..<database.codes.count).map(String.init) : database.itemIDs
            labels = database.labels.isEmpty ? Array(repeating: [], count: codes.count) : database.labels
            classNames = database.metadata.classNames.isEmpty ? gallery.classNames : database.metadata.classNames
            cached = true
        } else {
            let encoded = try GalleryCodes.load(model: loaded,
                                                gallery: gallery, cacheFolder: cache, threads: threads, note: note, progress: progress)
            codes = encoded.codes
            ids = encoded.indices.map { gallery.items[$0].id }
            labels = encoded.indices.map { gallery.items[$0].labels }
            classNames = gallery.classNames
            cached = encoded.cached
        }
        let position = Dictionary(gallery.items.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { a, _ in a })
        let selfID = queryItem.map { gallery.items[$0].id }
        let selfCode = selfID.flatMap { id in ids.firstIndex(of: id) }
        let queryLabelSet = queryLabels.map(Set.init)
        let ranked = NeighbourRanking.exact(queryCode, index: BinaryFlatIndex(codes: codes), top: top, excluding: selfCode,
                                            threads: threads)
        let ranking = NeighbourRanking(ranked, query: queryCode, codes: codes, excluding: selfCode,
                                       isRelevant: queryLabelSet.map { query in { !query.isDisjoint(with: labels[$0]) } })
        let results = ranking.neighbours.enumerated().map { rank, n -> SearchOutcome.Result in
            let id = ids[n.code], resultLabels = labels[n.code]
            return .init(rank: rank + 1, id: id, galleryIndex: position[id], labels: resultLabels,
                         label: labelText(resultLabels, classNames: classNames), distance: n.distance, relevant: n.relevant,
                         tieGroupSize: n.tieGroupSize, tieRank: n.tieRank)
        }
        let tieAwarePrecision = ranking.tieAware(top: top, ranking: TieAwareRanking(count: codes.count), labelled: queryLabels != nil)?
            .precision
        return SearchOutcome(results: results, classNames: classNames, databaseCount: codes.count, cached: cached,
                             queryLabel: queryLabels.map { labelText($0, classNames: classNames) }, tieAwarePrecision: tieAwarePrecision)
    }
}

struct SearchOutcome {
    struct Result {
        let rank: Int
        let id: String
        let galleryIndex: Int?
        let labels: [Int]
        let label: String
        let distance: Int
        /// nil when the query has no label.
        let relevant: Bool?
        /// Database items at this distance (the tie group), and this result's place among them.
        let tieGroupSize: Int
        let tieRank: Int
    }

    let results: [Result]
    let classNames: [String]
    let databaseCount: Int
    let cached: Bool
    let queryLabel: String?
    /// P@top as the expectation over every order of tied items; nil without a query label.
    let tieAwarePrecision: Double?

    /// relevant / top, nil without a query label.
    func precision(top: Int) -> Double? {
        guard queryLabel != nil else { return nil }
        return Double(results.filter { $0.relevant == true }.count) / Double(top)
    }

    var precisionText: String {
        guard queryLabel != nil else { return "" }
        let relevant = results.filter { $0.relevant == true }.count
        return "; \(relevant) of \(results.count) relevant"
    }

    func json(plan: SearchPlan) -> SearchJSON {
        let query = SearchJSON.Query(name: plan.queryName, id: plan.queryItem.map { plan.gallery.items[$0].id }, label: queryLabel,
                                     augment: plan.augment.isIdentity ? nil : plan.augment.description)
        return SearchJSON(query: query, model: plan.loaded.path, codes: nil, gallery: plan.gallerySpec, bits: plan.loaded.network.bits,
                          database: databaseCount, cached: cached, top: plan.top, precision: precision(top: plan.top),
                          tie_aware_precision: tieAwarePrecision, average_precision: nil,
                          results: results.map { .init(rank: $0.rank, id: $0.id, label: $0.label, distance: $0.distance,
                                                       relevant: $0.relevant, tie_group: $0.tieGroupSize, tie_rank: $0.tieRank) })
    }

    /// One ranked result as the table prints it: rank, relevance mark, distance, tie group, label, id.
    static func line(rank: Int, relevant: Bool?, distance: Int, tieGroup: Int, tieRank: Int, label: String, id: String) -> String {
        let mark = relevant.map { $0 ? "+" : "-" } ?? " "
        let tie = tieGroup > 1 ? "(\(tieRank) of \(tieGroup) tied)" : ""
        return String(format: "%3d %@ d=%-4d %@  %@  %@", rank, mark, distance, tie, label, id)
    }

    func table(plan: SearchPlan) -> String {
        var lines = ["query \(plan.queryName)" + (queryLabel.map { " (\($0))" } ?? "")
                     + (plan.augment.isIdentity ? "" : " augmented \(plan.augment)")]
        for r in results {
            lines.append(Self.line(rank: r.rank, relevant: r.relevant, distance: r.distance, tieGroup: r.tieGroupSize,
                                   tieRank: r.tieRank, label: r.label, id: r.id))
        }
        if let p = precision(top: plan.top) {
            lines.append(String(format: "precision@%d %.4f", plan.top, p)
                         + (tieAwarePrecision.map { String(format: " (tie-aware %.4f)", $0) } ?? ""))
        }
        return lines.joined(separator: "\n")
    }

    private func images(plan: SearchPlan) -> [RGBImage?] {
        results.map { r in r.galleryIndex.flatMap { try? plan.gallery.image(at: $0) } }
    }

    func contactSheet(plan: SearchPlan) -> ContactSheet {
        let blank = RGBImage(width: 32, height: 32, color: .white)
        let sheetResults = zip(results, images(plan: plan)).map { r, image in
            SheetResult(image: image ?? blank, rank: r.rank, distance: r.distance, label: r.label, isRelevant: r.relevant ?? false)
        }
        let p = precision(top: plan.top).map { String(format: ", P@%d = %.2f", plan.top, $0) } ?? ""
        // The query's attention heatmap beside it, when the network has an attention module.
        let network = plan.loaded.network
        let map = network.hasAttention ? network.encodeWithAttention(plan.query, preprocessor: plan.loaded.preprocessor, attention: true).map : nil
        return ContactSheet(query: plan.query, queryCaption: ["query", queryLabel ?? URL(fileURLWithPath: plan.queryName).lastPathComponent],
                            heatmap: map.map { Heatmap.overlay($0, on: plan.query) }, heatmapCaption: ["attention"],
                            results: sheetResults,
                            title: "\(plan.loaded.metadata.arch) \(plan.loaded.network.bits) bits\(p)")
    }

    /// The query and the results as thumbnails in rows, each with its caption lines under it.
    func thumbnails(plan: SearchPlan, mode: ColorMode, columns: Int) -> String {
        let renderer = ChafaCellRenderer(mode: mode)
        let maxRows = max(1, columns / 2)
        var tiles: [(CellGrid?, [String])] = [(renderer.thumbnail(plan.query, maxColumns: columns, maxRows: maxRows),
                                               ["query", queryLabel ?? ""])]
        for (r, image) in zip(results, images(plan: plan)) {
            let mark = r.relevant.map { $0 ? " +" : " -" } ?? ""
            tiles.append((image.map { renderer.thumbnail($0, maxColumns: columns, maxRows: maxRows) },
                          ["#\(r.rank) d=\(r.distance)\(mark)", r.label]))
        }
        let perRow = max(1, 80 / (columns + 2))
        var out = ""
        for start in stride(from: 0, to: tiles.count, by: perRow) {
            let row = tiles[start..<min(tiles.count, start + perRow)]
            let height = row.map { $0.0?.rows ?? 1 }.max() ?? 1
            for line in 0..<height {
                out += row.map { CellPrinter.line(of: $0.0, row: line, width: columns) }.joined(separator: "  ") + "\n"
            }
            for caption in 0..<2 {
                out += row.map { CellPrinter.pad($0.1[caption], to: columns) }.joined(separator: "  ")
                    .replacingOccurrences(of: " +$", with: "", options: .regularExpression) + "\n"
            }
            out += "\n"
        }
        if let p = precision(top: plan.top) { out += String(format: "precision@%d %.4f\n", plan.top, p) }
        return out
    }
}

/// ANSI escape sequences for a cell grid: one line of cells at a time, padded to a width.
enum CellPrinter {
    static func line(of grid: CellGrid?, row: Int, width: Int) -> String {
        guard let grid, row < grid.rows else { return String(repeating: " ", count: width) }
        var out = ""
        var last: (CellColor, CellColor)?
        for column in 0..<grid.columns {
            let cell = grid[column, row]
            if last.map({ $0.0 != cell.foreground || $0.1 != cell.background }) ?? true {
                out += "\u{1B}[" + code(cell.foreground, background: false) + ";" + code(cell.background, background: true) + "m"
                last = (cell.foreground, cell.background)
            }
            out.unicodeScalars.append(cell.character)
        }
        return out + "\u{1B}[0m" + String(repeating: " ", count: max(0, width - grid.columns))
    }

    static func code(_ color: CellColor, background: Bool) -> String {
        switch color {
        case .rgb(let v): return "\(background ? 48 : 38);2;\(v >> 16 & 0xFF);\(v >> 8 & 0xFF);\(v & 0xFF)"
        case .indexed(let n): return "\(background ? 48 : 38);5;\(n)"
        case .default: return background ? "49" : "39"
        }
    }

    static func pad(_ text: String, to width: Int) -> String {
        let cut = String(text.prefix(width))
        return cut + String(repeating: " ", count: max(0, width - cut.count))
    }
}
