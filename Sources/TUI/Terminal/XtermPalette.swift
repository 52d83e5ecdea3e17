/// The xterm default palette and nearest-colour search, so the application can always speak
/// `.rgb` and still look right on 256, 16 and 8 colour terminals. Distance is plain squared
/// Euclidean in RGB: simple to state and test, and the palettes are coarse enough that a
/// perceptual metric changes few choices.
enum XtermPalette {
    /// xterm's defaults for the 16 ANSI colours (themes differ; these are the reference).
    static let ansi: [UInt32] = [
        0x000000, 0xCD0000, 0x00CD00, 0xCDCD00, 0x0000EE, 0xCD00CD, 0x00CDCD, 0xE5E5E5,
        0x7F7F7F, 0xFF0000, 0x00FF00, 0xFFFF00, 0x5C5CFF, 0xFF00FF, 0x00FFFF, 0xFFFFFF,
    ]

    /// The six channel levels of the 6x6x6 cube (indices 16...231).
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The colour xterm shows for palette index `index` (0xRRGGBB).
    static func rgb(ofIndex index: UInt8) -> UInt32 {
        switch index {
        case 0...15:
            return ansi[Int(index)]
        case 16...231:
            let n = Int(index) - 16
            let r = cubeLevels[n / 36], g = cubeLevels[(n / 6) % 6], b = cubeLevels[n % 6]
            return UInt32(r << 16 | g << 8 | b)
        default:
            let level = UInt32(8 + 10 * (Int(index) - 232))
            return level << 16 | level << 8 | level
        }
    }

    /// The nearest of the 240 theme-independent colours 16...255 (cube or grey ramp), the set
    /// `ColorMode.indexed240` uses. Pure red 0xFF0000 -> 196.
    static func nearest240(_ rgb: UInt32) -> UInt8 {
        let (r, g, b) = channels(rgb)
        let (cr, cg, cb) = (nearestCubeLevel(r), nearestCubeLevel(g), nearestCubeLevel(b))
        let cubeIndex = UInt8(16 + 36 * cr + 6 * cg + cb)
        // Grey ramp: 8, 18, ..., 238 for indices 232...255.
        let mean = (r + g + b) / 3
        let greyStep = min(23, max(0, (mean - 8 + 5) / 10))
        let greyIndex = UInt8(232 + greyStep)
        return distance(rgb, Self.rgb(ofIndex: greyIndex)) < distance(rgb, Self.rgb(ofIndex: cubeIndex)) ? greyIndex : cubeIndex
    }

    /// The nearest of the 16 ANSI colours 0...15. Pure red 0xFF0000 -> 9 (bright red).
    static func nearest16(_ rgb: UInt32) -> UInt8 { nearest(rgb, among: 0..<16) }

    /// The nearest of the 8 basic ANSI colours 0...7. Pure red 0xFF0000 -> 1 (red).
    static func nearest8(_ rgb: UInt32) -> UInt8 { nearest(rgb, among: 0..<8) }

    /// Squared Euclidean distance between two 0xRRGGBB colours.
    static func distance(_ a: UInt32, _ b: UInt32) -> Int {
        let (ar, ag, ab) = channels(a), (br, bg, bb) = channels(b)
        return (ar - br) * (ar - br) + (ag - bg) * (ag - bg) + (ab - bb) * (ab - bb)
    }

    private static func nearest(_ rgb: UInt32, among indices: Range<Int>) -> UInt8 {
        var best = indices.lowerBound, bestDistance = Int.max
        for index in indices {
            let d = distance(rgb, ansi[index])
            if d < bestDistance { best = index; bestDistance = d }  // ties keep the lower index
        }
        return UInt8(best)
    }

    private static func nearestCubeLevel(_ value: Int) -> Int {
        var best = 0
        for (level, v) in cubeLevels.enumerated() where abs(v - value) < abs(cubeLevels[best] - value) {
            best = level
        }
        return best
    }

    private static func channels(_ rgb: UInt32) -> (Int, Int, Int) {
        (Int(rgb >> 16 & 0xFF), Int(rgb >> 8 & 0xFF), Int(rgb & 0xFF))
    }
}
