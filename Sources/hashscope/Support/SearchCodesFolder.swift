import Foundation
import Retrieval
import Services

/// `search --codes DIR`: one query of a DeepHash-pytorch save folder against its database codes,
/// the images named by its list files. No network: the query is a row of tst_binary.npy, chosen by
/// --query-index or by its id in --queries; bends need a model and are refused.
extension SearchCommand {
    func runCodesFolder() throws {
        guard let codes else { return }
        guard model == nil, index == nil else { throw CommandError("--codes takes the place of --model and --index") }
        guard query == nil, augment == nil else {
            throw CommandError("--codes has no network to encode an image file or a bent query with: pick a query with --query-index or --query-id")
        }
        guard !printThumbnails, sheet == nil else { throw CommandError("with --codes, --json and the table are the outputs") }
        guard top >= 1 else { throw CommandError("--top must be at least 1 (got \(top))") }
        guard let gallery, let queries else {
            throw CommandError("--codes needs --gallery (the database images, database.txt) and --queries (the query images, test.txt)")
        }
        // The explorer's codes workspace opens and checks the folder and its lists the same way.
        let opened = try CodesWorkspace.open(folder: codes, gallerySpec: gallery, querySpec: queries)
        let folder = opened.folder, database = opened.gallery, queryGallery = opened.queryGallery
        let q: Int
        switch (queryIndex, queryID) {
        case (let i?, nil):
            guard (0..<folder.queries.count).contains(i) else {
                throw CommandError("--query-index \(i) is outside the \(folder.queries.count) query codes")
            }
            q = i
        case (nil, let id?):
            guard let i = queryGallery.items.firstIndex(where: { $0.id == id }) else { throw CommandError("unknown --query-id '\(id)' in \(queries)") }
            q = i
        case (nil, nil): throw CommandError("no query: give --query-index N or --query-id ID")
        default: throw CommandError("give one of --query-index and --query-id, not both")
        }
        let found = folder.search(query: q, top: top)
        let items = database.items, names = database.classNames
        let results = found.ranking.neighbours.enumerated().map { rank, n in
            SearchJSON.Result(rank: rank + 1, id: items[n.code].id, label: GalleryLabels.text(items[n.code].labels, classNames: names),
                              distance: n.distance, relevant: n.relevant, tie_group: n.tieGroupSize, tie_rank: n.tieRank)
        }
        let queryItem = queryGallery.items[q]
        let queryLabel = GalleryLabels.text(queryItem.labels, classNames: queryGallery.classNames)
        if json {
            let report = SearchJSON(query: .init(name: queryItem.id, id: queryItem.id, label: queryLabel, augment: nil),
                                    model: nil, codes: codes, gallery: gallery, bits: folder.database.bits,
                                    database: folder.database.count, cached: false, top: top, precision: found.precision,
                                    tie_aware_precision: found.tieAwarePrecision, average_precision: found.averagePrecision,
                                    results: results)
            print(report.jsonText)
        } else {
            var lines = ["query \(queryItem.id) (\(queryLabel)), row \(q) of \(codes)/\(CodesFolder.files.queryCodes)"]
            for r in results {
                lines.append(SearchOutcome.line(rank: r.rank, relevant: r.relevant, distance: r.distance, tieGroup: r.tie_group,
                                                tieRank: r.tie_rank, label: r.label, id: r.id))
            }
            lines.append(String(format: "precision@%d %.4f (tie-aware %.4f)  AP %.4f", top, found.precision, found.tieAwarePrecision,
                                found.averagePrecision))
            print(lines.joined(separator: "\n"))
        }
        fflush(nil)
    }
}
