import Foundation
import Basics
import Render
import Retrieval

/// Writes a query's result as a contact sheet (JPEG: the query, its heatmap when computed, the
/// neighbours framed green or red) and as JSON (the keys of `hashscope search --json`, plus
/// the mode and AP), each atomically. An existing file is never overwritten: the stem gets a
/// "-2", "-3"... suffix instead.
public enum ResultExport {
    /// Returns the two paths written.
    public static func write(_ result: QueryResult, workspace: any SearchWorkspace, stem: String) throws -> [String] {
        var base = stem, n = 1
        while FileManager.default.fileExists(atPath: base + ".jpg") || FileManager.default.fileExists(atPath: base + ".json") {
            n += 1
            base = "\(stem)-\(n)"
        }
        let sheet = try JPEGEncoder.encode(self.sheet(result, workspace: workspace).render())
        try AtomicFileWriter.write(sheet, to: base + ".jpg")
        try AtomicFileWriter.write(Array(json(result, workspace: workspace).utf8), to: base + ".json")
        return [base + ".jpg", base + ".json"]
    }

    static func sheet(_ result: QueryResult, workspace: any SearchWorkspace) -> ContactSheet {
        let gallery = workspace.gallery, items = gallery.items
        let blank = RGBImage(width: 32, height: 32, color: .white)
        let results = result.neighbours.enumerated().map { rank, n in
            SheetResult(image: (try? workspace.gallery.image(at: n.item)) ?? blank, rank: rank + 1, distance: n.distance,
                        label: gallery.labelText(items[n.item].labels), isRelevant: n.relevant ?? false)
        }
        let precision = result.precision.map { String(format: ", P@%d = %.2f", result.request.top, $0) } ?? ""
        return ContactSheet(query: result.augmented, queryCaption: ["query", queryLabel(result, workspace) ?? "file"],
                            heatmap: result.heatmap.map { Heatmap.overlay($0, on: result.augmented) },
                            heatmapCaption: ["attention"], results: results,
                            title: "\(maker(workspace)) \(workspace.bits) bits, \(result.request.mode)\(precision)")
    }

    /// The saved JSON: `search --json`'s keys (query, model, gallery, bits, database, top,
    /// precision, results), plus the mode and AP; for codes made elsewhere `codes` names their
    /// folder and `model` the model that encodes bent queries, null without one, as
    /// `search --codes` writes them.
    struct Report: Encodable {
        struct Query: Encodable {
            let label: String?
            let augment: String?
            let id: String?
            let file: String?

            func encode(to encoder: any Encoder) throws {
                // Absent values as null, the id or the file as the query was given.
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(label, forKey: .label)
                try c.encode(augment, forKey: .augment)
                if let id { try c.encode(id, forKey: .id) }
                if let file { try c.encode(file, forKey: .file) }
            }
            private enum CodingKeys: String, CodingKey { case label, augment, id, file }
        }
        struct Result: Encodable {
            let rank: Int, id: String, label: String, distance: Int
            let relevant: Bool?
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(rank, forKey: .rank); try c.encode(id, forKey: .id); try c.encode(label, forKey: .label)
                try c.encode(distance, forKey: .distance); try c.encode(relevant, forKey: .relevant)
            }
            private enum CodingKeys: String, CodingKey { case rank, id, label, distance, relevant }
        }
        let query: Query
        let model: String?
        let codes: String?
        let gallery: String, bits: Int, database: Int, top: Int, mode: String
        let precision: Double?
        let average_precision: Double?
        let results: [Result]

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(query, forKey: .query); try c.encode(model, forKey: .model)
            if let codes { try c.encode(codes, forKey: .codes) }
            try c.encode(gallery, forKey: .gallery)
            try c.encode(bits, forKey: .bits); try c.encode(database, forKey: .database); try c.encode(top, forKey: .top)
            try c.encode(mode, forKey: .mode); try c.encode(precision, forKey: .precision)
            try c.encode(average_precision, forKey: .average_precision); try c.encode(results, forKey: .results)
        }
        private enum CodingKeys: String, CodingKey { case query, model, codes, gallery, bits, database, top, mode, precision, average_precision, results }
    }

    static func json(_ result: QueryResult, workspace: any SearchWorkspace) -> String {
        let gallery = workspace.gallery, items = gallery.items
        var id: String?, file: String?
        switch result.request.source {
        case .item(let i): id = workspace.queryGallery.items[i].id
        case .file(let path): file = path
        }
        let report = Report(
            query: .init(label: queryLabel(result, workspace), augment: result.request.augmentation.isIdentity ? nil : result.request.augmentation.description,
                         id: id, file: file),
            model: workspace.loadedModel?.path, codes: workspace.loadedModel?.path == workspace.origin ? nil : workspace.origin,
            gallery: workspace.gallerySpec, bits: workspace.bits, database: workspace.codes.count,
            top: result.request.top, mode: result.request.mode.description, precision: result.precision,
            average_precision: result.averagePrecision,
            results: result.neighbours.enumerated().map { rank, n in
                .init(rank: rank + 1, id: items[n.item].id, label: gallery.labelText(items[n.item].labels), distance: n.distance,
                      relevant: n.relevant)
            })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        // Strings, numbers and booleans only: encoding cannot fail.
        return String(decoding: (try? encoder.encode(report)) ?? Data(), as: UTF8.self) + "\n"
    }

    private static func queryLabel(_ result: QueryResult, _ workspace: any SearchWorkspace) -> String? {
        result.queryLabels.map(workspace.queryGallery.labelText)
    }

    /// The sheet's title names the architecture, the folder of codes made elsewhere, or both
    /// when a model bends a folder's queries.
    private static func maker(_ workspace: any SearchWorkspace) -> String {
        let folder = "codes " + URL(fileURLWithPath: workspace.origin).lastPathComponent
        guard let model = workspace.loadedModel else { return folder }
        return model.path == workspace.origin ? model.metadata.arch : "\(folder), bends by \(model.metadata.arch)"
    }
}
