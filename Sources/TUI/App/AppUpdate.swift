import Foundation
import Services
import Basics
import Render

/// The TUI's update: (state, event) -> new state + effects. No I/O here except what the
/// environment hands in (directory listings for path completion), so tests drive it with
/// event sequences and compare rendered screens.
public struct AppUpdate: Sendable {
    /// Directory listing for the `o` prompt's Tab; nil when the folder cannot be read.
    public var listDirectory: @Sendable (String) -> [PathPrompt.Entry]?
    /// Where `w` writes sheets: "<folder>/hashscope-<n>".
    public var saveFolder: String

    public init(listDirectory: @escaping @Sendable (String) -> [PathPrompt.Entry]?, saveFolder: String) {
        self.listDirectory = listDirectory
        self.saveFolder = saveFolder
    }

    public static let maxTop = 48

    /// The effects that start the app: open the first workspace.
    public func start(_ state: inout AppState) -> [Effect] {
        guard !state.choices.isEmpty else {
            state.message = .init(text: "no model and gallery to open", isError: true)
            return []
        }
        return open(choice: 0, &state)
    }

    public func update(_ state: inout AppState, _ event: AppEvent) -> [Effect] {
        switch event {
        case .terminal(let terminalEvent): return handle(terminalEvent, &state)
        case .workspaceProgress(let choice, let done, let total):
            if choice == state.loadingChoice { state.loadingProgress = (done, total) }
            return []
        case .workspaceOpened(let choice, let summary):
            guard choice == state.loadingChoice else { return [] }
            state.loadingChoice = nil
            state.loadingProgress = nil
            state.activeChoice = choice
            state.workspace = summary
            state.thumbnails = [:]
            state.result = nil
            state.history = []
            state.sessionAP = [:]
            state.sweep = nil
            state.browseCursor = 0
            state.browseFilter = nil
            state.source = .item(0)
            if state.heatmap && !summary.hasAttention { state.heatmap = false }
            if !summary.hasNetwork {
                // Codes made elsewhere: nothing can be bent or encoded.
                state.adjustments = QueryAdjustments()
                state.neighbourHeatmaps = false
            }
            if let other = state.comparisonChoice, other == choice || state.choices[other].gallerySpec != state.choices[choice].gallerySpec {
                state.comparisonChoice = nil
            }
            state.comparison = nil
            return search(&state)
        case .workspaceFailed(let choice, let text):
            guard choice == state.loadingChoice else { return [] }
            state.loadingChoice = nil
            state.loadingProgress = nil
            state.message = .init(text: text, isError: true)
            return []
        case .searchFinished(let generation, let result, let thumbnails):
            guard generation == state.generation else { return [] }
            state.searching = false
            state.result = result
            state.selection = min(state.selection, max(0, result.neighbours.count - 1))
            state.timings.encode = state.workspace?.hasNetwork == false ? nil : result.encodeMilliseconds
            if let problem = result.imageProblem { state.message = .init(text: problem, isError: true) }
            state.timings.search = result.searchMilliseconds
            if let ap = result.averagePrecision { state.sessionAP[AppState.sessionKey(result.request)] = ap }
            state.thumbnails.merge(thumbnails) { _, new in new }
            return prune(&state)
        case .comparisonFinished(let generation, let result, let thumbnails):
            guard generation == state.generation, state.comparisonChoice != nil else { return [] }
            state.comparison = result
            state.thumbnails.merge(thumbnails) { _, new in new }
            return prune(&state)
        case .comparisonFailed(let generation, let text):
            guard generation == state.generation else { return [] }
            state.comparisonChoice = nil
            state.comparison = nil
            state.message = .init(text: text, isError: true)
            return prune(&state)
        case .searchFailed(let generation, let text):
            guard generation == state.generation else { return [] }
            state.searching = false
            state.message = .init(text: text, isError: true)
            return []
        case .thumbnailsReady(let grids):
            state.thumbnails.merge(grids) { _, new in new }
            return []
        case .sweepFinished(let generation, let sweep):
            guard generation == state.sweepGeneration else { return [] }
            state.sweepPending = nil
            state.sweep = sweep
            return []
        case .sweepFailed(let generation, let text):
            guard generation == state.sweepGeneration else { return [] }
            state.sweepPending = nil
            state.message = .init(text: text, isError: true)
            return []
        case .saved(let text):
            state.message = .init(text: text, isError: false)
            return []
        case .saveFailed(let text):
            state.message = .init(text: text, isError: true)
            return []
        }
    }

    // MARK: terminal

    private func handle(_ event: TerminalEvent, _ state: inout AppState) -> [Effect] {
        switch event {
        case .terminate:
            state.quitting = true
            return [.quit]
        case .resize(let columns, let rows):
            state.columns = columns
            state.rows = rows
            guard state.layout.fits else { return [] }
            // New sizes: the result is searched again (cheap), which brings its thumbnails at the new size.
            return (state.result == nil ? [] : search(&state)) + (state.pane == .browse ? missingThumbnails(state) : [])
        case .click(let column, let row):
            guard state.overlay == .none, state.layout.fits else { return [] }
            switch state.pane {
            case .results:
                guard let result = state.result, let i = state.resultTiles.tile(atColumn: column, row: row),
                      i < result.neighbours.count else { return [] }
                state.selection = i
                return follow(result.neighbours[i].item, &state)
            case .browse:
                guard let i = state.browseTiles.tile(atColumn: column, row: row) else { return [] }
                let position = state.browsePageStart + i
                guard position < state.browseItems.count else { return [] }
                state.browseCursor = position
                return pick(state.browseItems[position], &state)
            }
        case .key(let key):
            switch state.overlay {
            case .help, .health:
                if key == .character("q") || key == .interrupt { return quit(&state) }
                state.overlay = .none
                return []
            case .prompt(var prompt): return promptKey(key, &prompt, &state)
            case .models(let selected): return modelsKey(key, selected, &state)
            case .none: return mainKey(key, &state)
            }
        }
    }

    private func mainKey(_ key: Key, _ state: inout AppState) -> [Effect] {
        state.message = nil
        if state.workspace?.hasNetwork == false, let need = NeedsNetwork(key: key) {
            state.message = .init(text: need.message, isError: false)
            return []
        }
        switch key {
        case .character("q"), .interrupt: return quit(&state)
        case .character("?"):
            state.overlay = .help
            return []
        case .character("v"):
            if state.comparisonChoice != nil {
                state.comparisonChoice = nil
                state.comparison = nil
                return search(&state)
            }
            guard let active = state.activeChoice,
                  let other = state.choices.indices.first(where: { $0 != active && state.choices[$0].gallerySpec == state.choices[active].gallerySpec })
            else {
                state.message = .init(text: "v compares two models on one gallery: pass a second --model (or pick one with M, then v)", isError: false)
                return []
            }
            return compare(with: other, &state)
        case .character("i"):
            guard state.workspace?.health != nil else {
                state.message = .init(text: "no codes open yet", isError: false)
                return []
            }
            state.overlay = .health
            return []
        case .character("M"):
            guard state.choices.count > 1 else {
                state.message = .init(text: "one model and gallery only: pass several --model or put models in assets/models", isError: false)
                return []
            }
            state.overlay = .models(selected: state.activeChoice ?? 0)
            return []
        case .character("o"):
            let start: String
            if case .file(let path)? = state.source { start = path } else { start = "" }
            state.overlay = .prompt(PathPrompt(text: start))
            return []
        case .character("g"):
            state.pane = state.pane == .browse ? .results : .browse
            if state.pane == .browse, case .item(let i)? = state.source, let position = state.browseItems.firstIndex(of: i) {
                state.browseCursor = position
            }
            return prune(&state)
        default: break
        }
        guard state.workspace != nil else { return [] }
        if state.pane == .browse, let effects = browseKey(key, &state) { return effects }
        switch key {
        case .character("r"): state.adjustments.rotate(by: QueryAdjustments.rotationStep)
        case .character("R"): state.adjustments.rotate(by: -QueryAdjustments.rotationStep)
        case .character("c"): state.adjustments.cycleCrop()
        case .character("b"): state.adjustments.changeBrightness(by: 0.1)
        case .character("B"): state.adjustments.changeBrightness(by: -0.1)
        case .character("f"): state.adjustments.flip.toggle()
        case .character("n"): state.adjustments.cycleNoise()
        case .character("x"): state.adjustments = QueryAdjustments()
        case .character("h"):
            guard state.workspace?.hasAttention == true else {
                state.message = .init(text: "\(state.workspace?.arch ?? "this model") has no attention module: no heatmap", isError: false)
                return []
            }
            state.heatmap.toggle()
        case .character("H"):
            guard state.workspace?.hasAttention == true else {
                state.message = .init(text: "\(state.workspace?.arch ?? "this model") has no attention module: no heatmaps", isError: false)
                return []
            }
            state.neighbourHeatmaps.toggle()
        case .character("+"), .character("="): state.top = min(AppUpdate.maxTop, state.top + 1)
        case .character("-"): state.top = max(1, state.top - 1)
        case .character("m"): state.mode = state.mode.next
        case .character("s"): return sweepKey(&state)
        case .character("w"):
            guard state.result != nil else { return [] }
            state.savedCount += 1
            return [.save(stem: "\(saveFolder)/hashscope-\(state.savedCount)")]
        case .backspace:
            guard let previous = state.history.popLast() else {
                state.message = .init(text: "no earlier query", isError: false)
                return []
            }
            state.source = previous.source
            state.adjustments = previous.adjustments
            state.selection = 0
        case .left, .right, .up, .down:
            guard let result = state.result, !result.neighbours.isEmpty else { return [] }
            let perRow = max(1, state.resultTiles.perRow)
            let step = key == .left ? -1 : key == .right ? 1 : key == .up ? -perRow : perRow
            let shown = min(result.neighbours.count, state.resultTiles.capacity)
            state.selection = min(shown - 1, max(0, state.selection + step))
            return []
        case .enter:
            guard let result = state.result, state.selection < result.neighbours.count else { return [] }
            return follow(result.neighbours[state.selection].item, &state)
        default:
            return []
        }
        return search(&state)
    }

    /// Keys the browse pane takes for itself; nil for the others.
    private func browseKey(_ key: Key, _ state: inout AppState) -> [Effect]? {
        let count = state.browseItems.count
        let tiles = state.browseTiles
        let page = max(1, tiles.capacity)
        var cursor = state.browseCursor
        switch key {
        case .left: cursor -= 1
        case .right: cursor += 1
        case .up: cursor -= max(1, tiles.perRow)
        case .down: cursor += max(1, tiles.perRow)
        case .pageUp: cursor -= page
        case .pageDown: cursor += page
        case .home: cursor = 0
        case .end: cursor = count - 1
        case .tab:
            let classes = state.workspace?.classNames.count ?? 0
            guard classes > 0 else { return [] }
            state.browseFilter = state.browseFilter.map { $0 + 1 < classes ? $0 + 1 : nil } ?? 0
            state.browseCursor = 0
            return prune(&state)
        case .enter:
            guard state.browseCursor < count else { return [] }
            return pick(state.browseItems[state.browseCursor], &state)
        default: return nil
        }
        state.browseCursor = min(max(0, count - 1), max(0, cursor))
        return prune(&state)
    }

    private func promptKey(_ key: Key, _ prompt: inout PathPrompt, _ state: inout AppState) -> [Effect] {
        switch key {
        case .escape, .interrupt:
            state.overlay = .none
            return []
        case .enter:
            state.overlay = .none
            let path = prompt.text.trimmingCharacters(in: .whitespaces)
            guard !path.isEmpty else { return [] }
            pushHistory(&state)
            state.source = .file(path)
            state.selection = 0
            return search(&state)
        case .tab: prompt.complete(list: listDirectory)
        case .backspace: if !prompt.text.isEmpty { prompt.text.removeLast() }
        case .control("u"): prompt.text = ""
        case .character(let c): prompt.text.append(c)
        default: break
        }
        state.overlay = .prompt(prompt)
        return []
    }

    private func modelsKey(_ key: Key, _ selected: Int, _ state: inout AppState) -> [Effect] {
        switch key {
        case .up: state.overlay = .models(selected: max(0, selected - 1))
        case .down: state.overlay = .models(selected: min(state.choices.count - 1, selected + 1))
        case .enter:
            state.overlay = .none
            return selected == state.activeChoice ? [] : open(choice: selected, &state)
        case .character("v"):
            state.overlay = .none
            return compare(with: selected, &state)
        case .character("q"), .interrupt: return quit(&state)
        default: state.overlay = .none
        }
        return []
    }

    /// `s`: a rotation sweep, then a crop sweep, then none.
    private func sweepKey(_ state: inout AppState) -> [Effect] {
        let current = state.sweepPending ?? state.sweep?.kind
        let next: SweepKind? = current == nil ? .rotation : current == .rotation ? .crop : nil
        state.sweepGeneration += 1
        state.sweep = nil
        state.sweepPending = nil
        guard let next, let request = state.currentRequest else { return [] }
        guard case .item = request.source else {
            state.message = .init(text: "a sweep needs a labelled query: pick one from the gallery (g)", isError: false)
            return []
        }
        state.sweepPending = next
        return [.sweep(generation: state.sweepGeneration, request, next)]
    }

    // MARK: helpers

    private func quit(_ state: inout AppState) -> [Effect] {
        state.quitting = true
        return [.quit]
    }

    /// Shows `choice`'s results for the same query below the open model's (same gallery only).
    private func compare(with choice: Int, _ state: inout AppState) -> [Effect] {
        guard let active = state.activeChoice, choice != active else {
            state.message = .init(text: "that is the open model: pick another to compare with", isError: false)
            return []
        }
        guard state.choices[choice].gallerySpec == state.choices[active].gallerySpec else {
            state.message = .init(text: "only models on the same gallery can be compared", isError: false)
            return []
        }
        state.comparisonChoice = choice
        state.comparison = nil
        return search(&state)
    }

    private func open(choice: Int, _ state: inout AppState) -> [Effect] {
        state.loadingChoice = choice
        state.loadingProgress = nil
        state.message = nil
        return [.openWorkspace(choice: choice, state.choices[choice])]
    }

    /// A neighbour becomes the query (Enter or a click); the old query goes on the history.
    private func follow(_ item: Int, _ state: inout AppState) -> [Effect] {
        if let queries = state.workspace?.separateQueries {
            state.message = .init(text: "the neighbours are database items; queries come from \(queries.name) (g lists them)", isError: false)
            return []
        }
        pushHistory(&state)
        state.source = .item(item)
        state.selection = 0
        return search(&state)
    }

    /// A gallery item picked in the browse pane becomes the query.
    private func pick(_ item: Int, _ state: inout AppState) -> [Effect] {
        if state.source != .item(item) { pushHistory(&state) }
        state.source = .item(item)
        state.pane = .results
        state.selection = 0
        return search(&state)
    }

    private func pushHistory(_ state: inout AppState) {
        guard let source = state.source else { return }
        state.history.append(.init(source: source, adjustments: state.adjustments))
        if state.history.count > 200 { state.history.removeFirst() }
    }

    /// A new search for the current request; it supersedes any running one.
    private func search(_ state: inout AppState) -> [Effect] {
        guard state.workspace != nil, let request = state.currentRequest else { return [] }
        state.generation += 1
        state.searching = true
        if state.sweep != nil || state.sweepPending != nil {
            // The sweep follows the query: redo it for the new one.
            let kind = state.sweepPending ?? state.sweep!.kind
            state.sweepGeneration += 1
            state.sweep = nil
            state.sweepPending = kind
            if case .item = request.source {
                return [.search(generation: state.generation, request, thumbnails: state.thumbnailSizes)]
                    + comparisonEffect(state, request) + [.sweep(generation: state.sweepGeneration, request, kind)]
            }
            state.sweepPending = nil
        }
        return [.search(generation: state.generation, request, thumbnails: state.thumbnailSizes)] + comparisonEffect(state, request)
    }

    /// The comparison model's search of the same request, at the lower pane's sizes.
    private func comparisonEffect(_ state: AppState, _ request: QueryRequest) -> [Effect] {
        guard let other = state.comparisonChoice else { return [] }
        var sizes = state.thumbnailSizes
        let tiles = state.comparisonTiles
        sizes.neighbourColumns = tiles.thumbColumns
        sizes.neighbourRows = tiles.thumbRows
        return [.compare(generation: state.generation, request, state.choices[other], thumbnails: sizes)]
    }

    /// Drops thumbnails no longer on screen and asks for the missing ones.
    private func prune(_ state: inout AppState) -> [Effect] {
        let visible = state.visibleThumbnails
        state.thumbnails = state.thumbnails.filter { visible.contains($0.key) }
        return missingThumbnails(state)
    }

    private func missingThumbnails(_ state: AppState) -> [Effect] {
        let missing = state.visibleThumbnails.filter { key in
            guard state.thumbnails[key] == nil else { return false }
            // Query pictures come with their search.
            switch key.subject {
            case .item, .queryItem: return true
            default: return false
            }
        }
        return missing.isEmpty ? [] : [.thumbnails(missing.sorted { "\($0)" < "\($1)" })]
    }
}
