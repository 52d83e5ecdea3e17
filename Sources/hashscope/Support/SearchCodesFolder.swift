import Foundation
import Basics
import Retrieval
import Services

/// `search --codes DIR`: one query of a DeepHash-pytorch save folder against its database codes,
/// the images named by its list files, through the explorer's codes workspace. The query is a row
/// of tst_binary.npy, chosen by --query-index or by its id in --queries, searched with the
/// folder's own code; with --model, a bent row (--augment) or an image file (--query) is encoded
/// by the model instead. Without a model, bends and files are refused.
extension SearchCommand {
    func runCodesFolder() throws {
        guard let codes else { return }
        guard index == nil else { throw CommandError("--codes takes the place of --index (the folder holds the database codes)") }
        guard model != nil || (query == nil && augment == nil) else {
            throw CommandError("--codes has no network to encode an image file or a bent query with: give --model FILE (of the folder's code length), or pick an unbent query with --query-index or --query-id")
        }
        guard !printThumbnails, sheet == nil else { throw CommandError("with --codes, --json and the table are the outputs") }
        guard top >= 1 else { throw CommandError("--top must be at least 1 (got \(top))") }
        guard let gallery, let queries else {
            throw CommandError("--codes needs --gallery (the database images, database.txt) and --queries (the query images, test.txt)")
        }
        let spec: AugmentationSpec
        do { spec = try augment.map { try AugmentationSpec(parsing: $0) } ?? .identity } catch {
            throw CommandError("bad --augment: \(error.localizedDescription)")
        }
        // The explorer's codes workspace opens and checks the folder, its lists and the model the same way.
        let opened = try CodesWorkspace.open(folder: codes, gallerySpec: gallery, querySpec: queries, imageRoot: imageRoot,
                                             modelPath: model)
        let folder = opened.folder, database = opened.gallery, queryGallery = opened.queryGallery
        let source: QueryRequest.Source
        switch (query, queryIndex, queryID) {
        case (let file?, nil, nil): source = .file(file)
        case (nil, let i?, nil):
            guard (0..<folder.queries.count).contains(i) else {
                throw CommandError("--query-index \(i) is outside the \(folder.queries.count) query codes")
            }
            source = .item(i)
        case (nil, nil, let id?):
            guard let i = queryGallery.items.firstIndex(where: { $0.id == id }) else { throw CommandError("unknown --query-id '\(id)' in \(queries)") }
            source = .item(i)
        case (nil, nil, nil): throw CommandError("no query: give --query-index N or --query-id ID" + (model == nil ? "" : " (or --query FILE)"))
        default: throw CommandError("give one of --query, --query-index and --query-id, not several")
        }
        let found = try opened.search(QueryRequest(source: source, augmentation: spec, top: top))
        let items = database.items, names = database.classNames
        let results = found.neighbours.enumerated().map { rank, n in
            SearchJSON.Result(rank: rank + 1, id: items[n.item].id, label: GalleryLabels.text(items[n.item].labels, classNames: names),
                              distance: n.distance, relevant: n.relevant, tie_group: n.tieGroupSize, tie_rank: n.tieRank)
        }
        let queryName: String, queryID: String?, queryLabel: String?, row: Int?
        switch source {
        case .item(let q):
            let item = queryGallery.items[q]
            (queryName, queryID, row) = (item.id, item.id, q)
            queryLabel = GalleryLabels.text(item.labels, classNames: queryGallery.classNames)
        case .file(let path): (queryName, queryID, queryLabel, row) = (path, nil, nil, nil)
        }
        if json {
            let report = SearchJSON(query: .init(name: queryName, id: queryID, label: queryLabel,
                                                 augment: spec.isIdentity ? nil : spec.description),
                                    model: model, codes: codes, gallery: gallery, bits: folder.database.bits,
                                    database: folder.database.count, cached: false, top: top, precision: found.precision,
                                    tie_aware_precision: found.tieAwarePrecision, average_precision: found.averagePrecision,
                                    results: results)
            print(report.jsonText)
        } else {
            var head = "query \(queryName)" + (queryLabel.map { " (\($0))" } ?? " (no label)")
            if let row { head += ", row \(row) of \(codes)/\(CodesFolder.files.queryCodes)" }
            if !spec.isIdentity { head += " augmented \(spec)" }
            if let model, !spec.isIdentity || row == nil { head += ", encoded by \(model)" }
            var lines = [head]
            for r in results {
                lines.append(SearchOutcome.line(rank: r.rank, relevant: r.relevant, distance: r.distance, tieGroup: r.tie_group,
                                                tieRank: r.tie_rank, label: r.label, id: r.id))
            }
            if let precision = found.precision, let tied = found.tieAwarePrecision, let ap = found.averagePrecision {
                lines.append(String(format: "precision@%d %.4f (tie-aware %.4f)  AP %.4f", top, precision, tied, ap))
            }
            print(lines.joined(separator: "\n"))
        }
        fflush(nil)
    }
}
