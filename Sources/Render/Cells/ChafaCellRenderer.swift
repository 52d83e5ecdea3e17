import Basics
import CChafa

/// Turns an image into a `CellGrid` through a libchafa canvas (chafa 1.12: read back per cell
/// with chafa_canvas_get_char_at and get_colors_at / get_raw_colors_at; docs/ARCHITECTURE.md, Platform notes 7).
///
/// The symbols never include anything chafa tags wide or ambiguous (see `CellSymbols`).
public struct ChafaCellRenderer: Sendable {
    public var mode: ColorMode
    public var symbols: CellSymbols
    /// chafa's effort, 0...1 (higher compares more symbols per cell); chafa's default is 0.5.
    public var workFactor: Float

    public init(mode: ColorMode, symbols: CellSymbols = .blocks, workFactor: Float = 0.5) {
        precondition((0...1).contains(workFactor), "work factor must be in 0...1")
        self.mode = mode
        self.symbols = symbols
        self.workFactor = workFactor
    }

    /// The image drawn into exactly `columns` x `rows` cells (stretched to fill them; use
    /// `CellGeometry.fit` first to keep the aspect ratio).
    public func render(_ image: RGBImage, columns: Int, rows: Int) -> CellGrid {
        precondition(columns > 0 && rows > 0, "cell grid size must be positive")
        _ = Self.libraryReady
        guard let canvas = makeCanvas(columns: columns, rows: rows) else {
            // chafa returns NULL only when out of memory; show nothing rather than crash.
            return CellGrid(columns: columns, rows: rows)
        }
        defer { chafa_canvas_unref(canvas) }
        image.pixels.withUnsafeBufferPointer { pixels in
            chafa_canvas_draw_all_pixels(canvas, CHAFA_PIXEL_RGB8, pixels.baseAddress,
                                         Int32(image.width), Int32(image.height), Int32(image.width * 3))
        }
        var cells = [Cell](repeating: .blank, count: columns * rows)
        var foreground: Int32 = 0, background: Int32 = 0
        for row in 0..<rows {
            for column in 0..<columns {
                let code = chafa_canvas_get_char_at(canvas, Int32(column), Int32(row))
                let character = Unicode.Scalar(code) ?? " "
                let fg: CellColor, bg: CellColor
                switch mode {
                case .truecolor:
                    chafa_canvas_get_colors_at(canvas, Int32(column), Int32(row), &foreground, &background)
                    fg = Self.rgb(foreground)
                    bg = Self.rgb(background)
                case .indexed240, .indexed16, .indexed8:
                    chafa_canvas_get_raw_colors_at(canvas, Int32(column), Int32(row), &foreground, &background)
                    fg = Self.pen(foreground)
                    bg = Self.pen(background)
                case .monochrome:
                    // FGBG: the glyph is the picture, drawn in the terminal's own colours.
                    (fg, bg) = (.default, .default)
                }
                cells[row * columns + column] = Cell(character: character, foreground: fg, background: bg)
            }
        }
        return CellGrid(columns: columns, rows: rows, cells: cells)
    }

    /// The largest grid within `maxColumns` x `maxRows` that keeps the image's aspect for cells
    /// of `fontRatio` (width / height), drawn.
    public func thumbnail(_ image: RGBImage, maxColumns: Int, maxRows: Int,
                          fontRatio: Double = CellGeometry.defaultFontRatio) -> CellGrid {
        let size = CellGeometry.fit(imageWidth: image.width, imageHeight: image.height,
                                    maxColumns: maxColumns, maxRows: maxRows, fontRatio: fontRatio)
        return render(image, columns: size.columns, rows: size.rows)
    }

    /// chafa builds its global symbol and palette tables on the first canvas; older releases do
    /// that without a lock, so the first canvas is made once, under Swift's one-time
    /// initialisation, before any concurrent use.
    private static let libraryReady: Void = {
        if let config = chafa_canvas_config_new() {
            if let canvas = chafa_canvas_new(config) { chafa_canvas_unref(canvas) }
            chafa_canvas_config_unref(config)
        }
    }()

    /// Packed 0xRRGGBB, or -1 for transparent (which RGB8 input never produces).
    private static func rgb(_ value: Int32) -> CellColor {
        value >= 0 ? .rgb(UInt32(value) & 0xFF_FFFF) : .default
    }

    /// A palette pen 0...255; -1 or chafa's special pens 256...258 (transparent, fg, bg) are
    /// the terminal default.
    private static func pen(_ value: Int32) -> CellColor {
        (0...255).contains(value) ? .indexed(UInt8(value)) : .default
    }

    private func makeCanvas(columns: Int, rows: Int) -> OpaquePointer? {
        guard let config = chafa_canvas_config_new() else { return nil }
        defer { chafa_canvas_config_unref(config) }
        chafa_canvas_config_set_geometry(config, Int32(columns), Int32(rows))
        chafa_canvas_config_set_canvas_mode(config, mode.chafaMode)
        chafa_canvas_config_set_work_factor(config, workFactor)
        guard let symbols = chafa_symbol_map_new() else { return nil }
        defer { chafa_symbol_map_unref(symbols) }
        chafa_symbol_map_add_by_tags(symbols, self.symbols.includedTags)
        chafa_symbol_map_remove_by_tags(symbols, CellSymbols.excludedTags)
        chafa_canvas_config_set_symbol_map(config, symbols)  // the config keeps its own copy
        return chafa_canvas_new(config)
    }
}
