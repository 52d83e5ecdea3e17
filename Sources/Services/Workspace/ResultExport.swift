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
    public static func write(_ result: QueryResult, workspace: Workspace, stem: String) throws -> [String] {
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

    static func sheet(_ result: QueryResult, workspace: Workspace) -> ContactSheet {
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
                            title: "\(workspace.model.metadata.arch) \(workspace.bits) bits, \(result.request.mode)\(precision)")
    }

    static func json(_ result: QueryResult, workspace: Workspace) -> String {
        let gallery = workspace.gallery, items = gallery.items
        var query: [String: Any] = ["label": queryLabel(result, workspace) ?? NSNull(),
                                    "augment": result.request.augmentation.isIdentity ? NSNull() : result.request.augmentation.description]
        switch result.request.source {
        case .item(let i): query["id"] = items[i].id
        case .file(let path): query["file"] = path
        }
        let object: [String: Any] = [
            "query": query, "model": workspace.model.path, "gallery": workspace.gallerySpec, "bits": workspace.bits,
            "database": workspace.codes.count, "top": result.request.top, "mode": result.request.mode.description,
            "precision": result.precision ?? NSNull(), "average_precision": result.averagePrecision ?? NSNull(),
            "results": result.neighbours.enumerated().map { rank, n -> [String: Any] in
                ["rank": rank + 1, "id": items[n.item].id, "label": gallery.labelText(items[n.item].labels), "distance": n.distance,
                 "relevant": n.relevant ?? NSNull()]
            },
        ]
        // Plain JSON values only: serialisation cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    private static func queryLabel(_ result: QueryResult, _ workspace: Workspace) -> String? {
        result.queryLabels.map(workspace.gallery.labelText)
    }
}
