import Basics
/// Sizing images in character cells, which are taller than wide.
public enum CellGeometry {
    /// Terminal cells are about twice as tall as wide: width / height = 0.5.
    public static let defaultFontRatio = 0.5

    /// The largest columns x rows, within `maxColumns` x `maxRows`, that shows an image of
    /// `imageWidth` x `imageHeight` pixels without distortion when a cell's width / height is
    /// `fontRatio`. At least 1 x 1.
    public static func fit(imageWidth: Int, imageHeight: Int, maxColumns: Int, maxRows: Int,
                           fontRatio: Double = defaultFontRatio) -> (columns: Int, rows: Int) {
        precondition(imageWidth > 0 && imageHeight > 0, "image size must be positive")
        precondition(maxColumns > 0 && maxRows > 0, "cell box must be positive")
        precondition(fontRatio > 0 && fontRatio.isFinite, "font ratio must be positive")
        // In cell units the image is (width) x (height * fontRatio) cell-widths: one row spans
        // 1 / fontRatio cell-widths.
        let aspect = Double(imageWidth) / (Double(imageHeight) * fontRatio)  // columns per row
        var columns = maxColumns
        var rows = Int((Double(columns) / aspect).rounded())
        if rows > maxRows {
            rows = maxRows
            columns = Int((Double(rows) * aspect).rounded())
        }
        return (min(maxColumns, max(1, columns)), min(maxRows, max(1, rows)))
    }
}
