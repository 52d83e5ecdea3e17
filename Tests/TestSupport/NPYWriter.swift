/// numpy `.npy` files for fixtures, as DeepHash-pytorch's `np.save` writes its codes and labels.
public enum NPYWriter {
    /// A numpy 1.0 file of little-endian float32, shape (rows, columns), the header padded so the
    /// data starts on a 64-byte boundary.
    public static func float32(rows: Int, columns: Int, _ values: [Float]) -> [UInt8] {
        precondition(values.count == rows * columns, "\(values.count) values for \(rows) x \(columns)")
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(columns)), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        let text = Array((header + "\n").utf8)
        let data = values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text + data
    }

    /// The same for rows of equal length.
    public static func float32(_ rows: [[Float]]) -> [UInt8] {
        float32(rows: rows.count, columns: rows.first?.count ?? 0, rows.flatMap { $0 })
    }
}
