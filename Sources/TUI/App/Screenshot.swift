import Basics
import Foundation
import Render
import Services

/// The explorer's first screen as a PNG, without a terminal: the headless explorer opens the
/// first choice and answers its first search, and the cell grid it renders is drawn by
/// `CellGridPicture` in truecolour (indexed colours through xterm's palette, the default
/// colours those of a dark terminal). The README's picture is made this way, so it shows what
/// the code draws today.
public enum Screenshot {
    /// A dark terminal's default text and background.
    static let defaultForeground: UInt32 = 0xD0D0D0
    static let defaultBackground: UInt32 = 0x101010

    /// The first screen of `choices` at `columns` x `rows` cells, as a picture of
    /// (columns * 12) x (rows * 24) pixels.
    public static func firstScreen(choices: [WorkspaceChoice], columns: Int, rows: Int, cacheFolder: String?,
                                   threads: Int, opened: [WorkspaceChoice: any SearchWorkspace] = [:]) -> RGBImage {
        let explorer = HeadlessExplorer(choices: choices, columns: columns, rows: rows, colorMode: .truecolor,
                                        cacheFolder: cacheFolder, saveFolder: FileManager.default.currentDirectoryPath,
                                        threads: threads, opened: opened)
        return picture(of: explorer.start())
    }

    public static func picture(of grid: CellGrid) -> RGBImage {
        CellGridPicture { color, isForeground in
            switch color {
            case .rgb(let rgb): return rgb
            case .indexed(let index): return XtermPalette.rgb(ofIndex: index)
            case .default: return isForeground ? defaultForeground : defaultBackground
            }
        }.render(grid)
    }

    /// Writes the picture as a PNG, atomically.
    public static func write(_ image: RGBImage, to path: String) throws {
        try AtomicFileWriter.write(try PNGEncoder.encode(image), to: path)
    }
}
