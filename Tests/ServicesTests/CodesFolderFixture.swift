import Basics
import Foundation
import Retrieval
import TestSupport

/// A DeepHash-pytorch-shaped save folder written from seeded random values, no network: ±1
/// float32 codes (`tst_binary.npy`, `trn_binary.npy`), multi-hot float32 labels (some rows with
/// two labels), and the list files `test.txt` / `database.txt` naming 8x8 PPM images whose
/// relative paths start from `images/` (so the lists need an image root).
struct CodesFolderFixture {
    let scratch: ScratchDirectory
    let folder: String
    let imageRoot: String
    let querySpec: String
    let databaseSpec: String
    let queryCodes: BinaryCodes
    let databaseCodes: BinaryCodes
    /// Per row, its labels (class indices).
    let queryLabels: [[Int]]
    let databaseLabels: [[Int]]

    static let classes = 5

    init(queries: Int = 6, database: Int = 60, bits: Int = 16, seed: UInt64 = 7) throws {
        scratch = try ScratchDirectory()
        folder = scratch.path + "/save"
        imageRoot = scratch.path + "/images"
        var generator = SeededGenerator(seed: seed)
        func rows(_ count: Int) -> (signs: [[Float]], labels: [[Int]]) {
            var signs: [[Float]] = [], labels: [[Int]] = []
            for _ in 0..<count {
                signs.append((0..<bits).map { _ in generator.nextInt(below: 2) == 0 ? -1 : 1 })
                let first = generator.nextInt(below: Self.classes)
                let second = generator.nextInt(below: 4) == 0 ? (first + 1 + generator.nextInt(below: Self.classes - 1)) % Self.classes : nil
                labels.append([first, second].compactMap { $0 }.sorted())
            }
            return (signs, labels)
        }
        let q = rows(queries), d = rows(database)
        queryLabels = q.labels
        databaseLabels = d.labels
        for (prefix, list, made) in [("tst", "test", q), ("trn", "database", d)] {
            try scratch.write("save/\(prefix)_binary.npy", NPYWriter.float32(rows: made.signs.count, columns: bits, made.signs.flatMap { $0 }))
            let hot = made.labels.flatMap { labels in (0..<Self.classes).map { labels.contains($0) ? Float(1) : 0 } }
            try scratch.write("save/\(prefix)_label.npy", NPYWriter.float32(rows: made.labels.count, columns: Self.classes, hot))
            var lines: [String] = []
            for (i, labels) in made.labels.enumerated() {
                let path = "\(list)/\(i).ppm"
                let shade = UInt8(40 + 40 * labels[0])
                let pixels = (0..<8 * 8 * 3).map { UInt8(truncatingIfNeeded: Int(shade) + ($0 % 3) * 30 + i) }
                try scratch.write("images/\(path)", PPMCodec.encode(RGBImage(width: 8, height: 8, pixels: pixels)))
                lines.append(path + " " + (0..<Self.classes).map { labels.contains($0) ? "1" : "0" }.joined(separator: " "))
            }
            try scratch.write("save/\(list).txt", Array((lines.joined(separator: "\n") + "\n").utf8))
        }
        querySpec = "list:\(folder)/test.txt"
        databaseSpec = "list:\(folder)/database.txt"
        queryCodes = Self.codes(q.signs, bits: bits)
        databaseCodes = Self.codes(d.signs, bits: bits)
    }

    /// The signs as packed codes, as the .npy reader packs them.
    private static func codes(_ signs: [[Float]], bits: Int) -> BinaryCodes {
        BinaryCodes.fromSigns(signs.flatMap { $0 }, bits: bits)
    }
}
