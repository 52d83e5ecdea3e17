import Basics
/// One retrieved image on a contact sheet.
public struct SheetResult: Sendable {
    public var image: RGBImage
    /// 1 for the nearest neighbour.
    public var rank: Int
    public var distance: Int
    public var label: String
    /// Whether the result shares the query's class (a green frame) or not (red).
    public var isRelevant: Bool

    public init(image: RGBImage, rank: Int, distance: Int, label: String, isRelevant: Bool) {
        self.image = image
        self.rank = rank
        self.distance = distance
        self.label = label
        self.isRelevant = isRelevant
    }

    /// The caption lines under the tile: "#3 d=5" and the label.
    var captionLines: [String] { ["#\(rank) d=\(distance)", label] }
}

/// How a thumbnail fills its square tile.
public enum ThumbnailFit: String, Sendable, CaseIterable {
    /// The whole image, scaled to fit, centred on white.
    case fit
    /// The centre square of the image, scaled to fill the tile.
    case fill
}

/// A retrieval result as one picture, for a paper or a slide (like the robustness figures of
/// the CBAM+LSH paper): the query and its attention heatmap, then the top results, each framed
/// green (same class as the query) or red, with rank, Hamming distance and label under it.
public struct ContactSheet: Sendable {
    public var query: RGBImage
    /// Caption lines under the query, e.g. ["query", "airplane"].
    public var queryCaption: [String]
    public var heatmap: RGBImage?
    public var heatmapCaption: [String]
    public var results: [SheetResult]
    /// An optional line across the top, e.g. "DATH 48 bits, P@10 = 0.80".
    public var title: String?
    public var layout: ContactSheetLayout
    public var fit: ThumbnailFit

    public static let relevantColor = RGBColor(r: 0, g: 176, b: 0)
    public static let irrelevantColor = RGBColor(r: 224, g: 0, b: 0)
    public static let neutralColor = RGBColor(r: 96, g: 96, b: 96)
    public static let textColor = RGBColor.black

    public init(query: RGBImage, queryCaption: [String] = ["query"], heatmap: RGBImage? = nil,
                heatmapCaption: [String] = ["attention"], results: [SheetResult], title: String? = nil,
                layout: ContactSheetLayout = ContactSheetLayout(), fit: ThumbnailFit = .fit) {
        self.query = query
        self.queryCaption = queryCaption
        self.heatmap = heatmap
        self.heatmapCaption = heatmapCaption
        self.results = results
        self.title = title
        self.layout = layout
        self.fit = fit
    }

    /// The sheet as an image.
    public func render() -> RGBImage {
        let hasTitle = title != nil
        let size = layout.canvasSize(resultCount: results.count, hasTitle: hasTitle)
        var canvas = RGBImage(width: size.width, height: size.height, color: .white)
        if let title {
            let fitted = BitmapFont.truncated(title, toWidth: size.width - 2 * layout.margin, scale: layout.fontScale)
            BitmapFont.draw(fitted, into: &canvas, x: layout.margin, y: layout.margin,
                            color: Self.textColor, scale: layout.fontScale)
        }
        draw(query, caption: queryCaption, frameColor: Self.neutralColor, slot: .query, on: &canvas)
        if let heatmap {
            draw(heatmap, caption: heatmapCaption, frameColor: Self.neutralColor, slot: .heatmap, on: &canvas)
        }
        for (index, result) in results.enumerated() {
            draw(result.image, caption: result.captionLines,
                 frameColor: result.isRelevant ? Self.relevantColor : Self.irrelevantColor,
                 slot: .result(index), on: &canvas)
        }
        return canvas
    }

    /// The sheet as a baseline JPEG, written atomically (temp file, fsync, rename).
    public func writeJPEG(to path: String, quality: Int = 92) throws {
        let bytes = try JPEGEncoder.encode(render(), quality: quality)
        try AtomicFileWriter.write(bytes, to: path)
    }

    private func draw(_ image: RGBImage, caption: [String], frameColor: RGBColor, slot: ContactSheetLayout.Slot,
                      on canvas: inout RGBImage) {
        let hasTitle = title != nil
        let frame = layout.frame(of: slot, hasTitle: hasTitle)
        let tile = layout.tile(of: slot, hasTitle: hasTitle)
        canvas.stroke(frame, thickness: layout.border, with: frameColor)
        let thumbnail = Self.thumbnail(image, side: layout.tileSize, fit: fit)
        canvas.paste(thumbnail, x: tile.x + (tile.width - thumbnail.width) / 2,
                     y: tile.y + (tile.height - thumbnail.height) / 2)
        for (line, text) in caption.prefix(layout.captionLines).enumerated() {
            let fitted = BitmapFont.truncated(text, toWidth: frame.width, scale: layout.fontScale)
            BitmapFont.draw(fitted, into: &canvas, x: frame.x, y: frame.maxY + 3 + line * layout.lineHeight,
                            color: Self.textColor, scale: layout.fontScale)
        }
    }

    /// `image` scaled into a `side` x `side` square: whole (`.fit`) or its centre square (`.fill`).
    static func thumbnail(_ image: RGBImage, side: Int, fit: ThumbnailFit) -> RGBImage {
        switch fit {
        case .fit:
            let size = image.fittingSize(maxWidth: side, maxHeight: side)
            return image.resized(width: size.width, height: size.height)
        case .fill:
            let square = min(image.width, image.height)
            let box = PixelRect(x: (image.width - square) / 2, y: (image.height - square) / 2, width: square, height: square)
            // The box lies inside the image by construction.
            let centre = (try? image.cropped(to: box)) ?? image
            return centre.resized(width: side, height: side)
        }
    }
}
