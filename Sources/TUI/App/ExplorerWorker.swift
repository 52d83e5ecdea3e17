import Foundation
import Services
import Basics
import Render
import Retrieval

/// Does the slow work the update asks for (open a workspace, search, thumbnails, sweeps,
/// saves) and answers with events. `perform` runs one effect synchronously (the headless
/// benchmark and the tests call it directly); `ExplorerQueue` runs it on a thread.
public final class ExplorerWorker: @unchecked Sendable {
    private let renderer: ChafaCellRenderer
    private let cache = CellGridCache(byteBudget: 48 << 20)
    private let cacheFolder: String?
    private let threads: Int
    // Touched only by the thread performing effects (one at a time).
    private var workspace: (any SearchWorkspace)?
    private var openedChoice: Int?
    private var lastResult: QueryResult?
    /// The comparison model's workspace (`v`), kept while the same choice is compared.
    private var comparison: (choice: WorkspaceChoice, workspace: any SearchWorkspace)?
    /// Workspaces the caller opened already (to report a bad one before the screen starts),
    /// used instead of opening their choices again.
    private let opened: [WorkspaceChoice: any SearchWorkspace]

    public init(colorMode: ColorMode, cacheFolder: String?, threads: Int = 2, opened: [WorkspaceChoice: any SearchWorkspace] = [:]) {
        renderer = ChafaCellRenderer(mode: colorMode)
        self.cacheFolder = cacheFolder
        self.threads = threads
        self.opened = opened
    }

    /// Opens `choice`: a model on its gallery (cached codes, an index file or encoding, with
    /// `progress`), or a codes folder with its list files (and the model that bends its queries).
    private func open(_ choice: WorkspaceChoice, progress: ((Int, Int) -> Void)? = nil) throws(ServiceError) -> any SearchWorkspace {
        if let ready = opened[choice] { return ready }
        switch choice.codes {
        case .model(let path, let indexPath):
            return try Workspace.open(modelPath: path, gallerySpec: choice.gallerySpec, indexPath: indexPath, cacheFolder: cacheFolder,
                                      threads: threads, progress: progress)
        case .folder(let path, let querySpec, let imageRoot, let modelPath):
            return try CodesWorkspace.open(folder: path, gallerySpec: choice.gallerySpec, querySpec: querySpec, imageRoot: imageRoot,
                                           modelPath: modelPath)
        }
    }

    /// Runs `effect`; `post` receives progress and results (possibly several events).
    public func perform(_ effect: Effect, post: @escaping (AppEvent) -> Void) {
        switch effect {
        case .openWorkspace(let choice, let what):
            do {
                let opened = try open(what, progress: { post(.workspaceProgress(choice: choice, done: $0, total: $1)) })
                workspace = opened
                openedChoice = choice
                lastResult = nil
                post(.workspaceOpened(choice: choice, Self.summary(of: opened)))
            } catch {
                post(.workspaceFailed(choice: choice, error.message))
            }
        case .search(let generation, let request, let sizes):
            guard let workspace else { return post(.searchFailed(generation: generation, "no model and gallery are open")) }
            do {
                let result = try workspace.search(request)
                lastResult = result
                post(.searchFinished(generation: generation, result, thumbnails(for: result, sizes: sizes)))
            } catch {
                post(.searchFailed(generation: generation, error.message))
            }
        case .compare(let generation, let request, let choice, let sizes):
            do {
                if comparison?.choice != choice {
                    comparison = (choice, try open(choice))
                }
                guard let other = comparison?.workspace else { return }
                var plain = request
                plain.heatmap = false
                let result = try other.search(plain)
                post(.comparisonFinished(generation: generation, result, thumbnails(for: result, sizes: sizes, neighboursOnly: true)))
            } catch {
                post(.comparisonFailed(generation: generation, error.message))
            }
        case .thumbnails(let keys):
            var grids: [ThumbnailKey: CellGrid] = [:]
            for key in keys { grids[key] = thumbnail(key) }
            post(.thumbnailsReady(grids))
        case .sweep(let generation, let request, let kind):
            guard let workspace else { return }
            do {
                post(.sweepFinished(generation: generation, try sweep(request, kind, in: workspace)))
            } catch {
                post(.sweepFailed(generation: generation, error.message))
            }
        case .save(let stem):
            guard let workspace, let result = lastResult else { return post(.saveFailed("nothing to save yet")) }
            do {
                let paths = try ResultExport.write(result, workspace: workspace, stem: stem)
                post(.saved("saved \(paths.joined(separator: " and "))"))
            } catch {
                post(.saveFailed(error.localizedDescription))
            }
        case .quit:
            return
        }
    }

    static func summary(of workspace: any SearchWorkspace) -> WorkspaceSummary {
        let items = workspace.gallery.items
        let model = workspace.loadedModel
        let name = model.map { URL(fileURLWithPath: $0.path).deletingPathExtension().lastPathComponent }
            ?? URL(fileURLWithPath: workspace.origin).lastPathComponent
        var summary = WorkspaceSummary(modelName: name, arch: model?.metadata.arch ?? "codes only",
                                       bits: workspace.bits, hasAttention: model?.network.hasAttention ?? false,
                                       galleryName: galleryName(workspace.gallerySpec), classNames: workspace.gallery.classNames,
                                       itemIDs: items.map(\.id), itemLabels: items.map(\.labels),
                                       encodedCount: workspace.codes.count, fromCache: workspace.fromCache,
                                       health: CodeHealth(workspace.codes))
        summary.hasNetwork = model != nil
        if let model, model.path != workspace.origin {
            // The codes were read from a folder; the model only encodes bent and file queries.
            summary.codesFolder = URL(fileURLWithPath: workspace.origin).lastPathComponent
        }
        if !workspace.queriesAreGallery {
            let queries = workspace.queryGallery
            summary.separateQueries = .init(name: galleryName(queries.spec.description), ids: queries.items.map(\.id),
                                            labels: queries.items.map(\.labels))
        }
        return summary
    }

    /// "cifar10" for "folder:../shared/datasets/cifar10", "demo-cifar10" for the embedded one.
    static func galleryName(_ spec: String) -> String {
        let path = spec.split(separator: ":", maxSplits: 1).last.map(String.init) ?? spec
        let name = URL(fileURLWithPath: path).lastPathComponent
        return name.isEmpty ? spec : name
    }

    private func thumbnails(for result: QueryResult, sizes: ThumbnailSizes, neighboursOnly: Bool = false) -> [ThumbnailKey: CellGrid] {
        var keys = neighboursOnly ? [] : [ThumbnailKey(.queryOriginal(result.request), columns: sizes.queryColumns, rows: sizes.queryRows)]
        if !neighboursOnly && !result.request.augmentation.isIdentity {
            keys.append(ThumbnailKey(.queryAugmented(result.request), columns: sizes.queryColumns, rows: sizes.queryRows))
        }
        if !neighboursOnly && result.heatmap != nil {
            keys.append(ThumbnailKey(.queryHeatmap(result.request), columns: sizes.queryColumns, rows: sizes.queryRows))
        }
        keys += result.neighbours.map {
            ThumbnailKey(result.request.neighbourHeatmaps ? .itemHeatmap($0.item) : .item($0.item),
                         columns: sizes.neighbourColumns, rows: sizes.neighbourRows)
        }
        var grids: [ThumbnailKey: CellGrid] = [:]
        for key in keys { grids[key] = thumbnail(key) }
        return grids
    }

    /// One thumbnail through the cache; nil when its picture cannot be had (an unreadable item).
    private func thumbnail(_ key: ThumbnailKey) -> CellGrid? {
        let picture: () -> RGBImage?
        let cacheKey: CellGridKey
        switch key.subject {
        case .item(let i):
            guard let workspace else { return nil }
            picture = { try? workspace.gallery.image(at: i) }
            cacheKey = CellGridKey(item: "\(openedChoice ?? -1)/\(i)", columns: key.columns, rows: key.rows, mode: renderer.mode,
                                   symbols: renderer.symbols)
        case .queryItem(let i):
            guard let workspace else { return nil }
            // The gallery's own item when the queries are its items: one cache entry for both.
            let separate = !workspace.queriesAreGallery
            picture = { try? workspace.queryGallery.image(at: i) }
            cacheKey = CellGridKey(item: "\(openedChoice ?? -1)/\(separate ? "query/" : "")\(i)", columns: key.columns, rows: key.rows,
                                   mode: renderer.mode, symbols: renderer.symbols)
        case .itemHeatmap(let i):
            // Encoded once per item and size: the cache keeps the overlaid thumbnail.
            guard let workspace, let model = workspace.loadedModel else { return nil }
            picture = {
                guard let image = try? workspace.gallery.image(at: i),
                      let map = model.network.attentionMap(of: image, preprocessor: model.preprocessor).map
                else { return nil }
                return Heatmap.overlay(map.image(0), on: image)
            }
            cacheKey = CellGridKey(item: "\(openedChoice ?? -1)/\(i)/attention", columns: key.columns, rows: key.rows,
                                   mode: renderer.mode, symbols: renderer.symbols)
        case .queryOriginal(let request), .queryAugmented(let request), .queryHeatmap(let request):
            guard let result = lastResult, result.request == request else { return nil }
            switch key.subject {
            case .queryOriginal: picture = { result.original }
            case .queryAugmented: picture = { result.augmented }
            default: picture = { result.heatmap.map { Heatmap.overlay($0, on: result.augmented) } }
            }
            // Query pictures change with every bend: not worth caching.
            return picture().map { renderer.thumbnail($0, maxColumns: key.columns, maxRows: key.rows) }
        }
        if let grid = cache.grid(for: cacheKey) { return grid }
        guard let image = picture() else { return nil }
        let grid = renderer.thumbnail(image, maxColumns: key.columns, maxRows: key.rows)
        cache.insert(grid, for: cacheKey)
        return grid
    }

    private func sweep(_ request: QueryRequest, _ kind: SweepKind, in workspace: any SearchWorkspace) throws(ServiceError) -> SweepResult {
        var points: [SweepPoint] = []
        for strength in kind.strengths {
            var bent = request
            bent.heatmap = false
            var steps = request.augmentation.steps.filter { $0.operation != (kind == .rotation ? .rotate : .crop) }
            if kind == .rotation, strength != 0 { steps.append(.rotate(degrees: strength)) }
            if kind == .crop, strength < 1 { steps.insert(.crop(fraction: strength), at: 0) }
            bent.augmentation.steps = steps
            let result = try workspace.search(bent)
            points.append(SweepPoint(strength: strength, precision: result.precision ?? 0))
        }
        return SweepResult(kind: kind, top: request.top, points: points)
    }
}

extension Error {
    /// The one line a user sees.
    var message: String { (self as? LocalizedError)?.errorDescription ?? "\(self)" }
}
