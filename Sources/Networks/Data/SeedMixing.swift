/// Derived seeds: one independent generator per (seed, stream, epoch, item), so an epoch's
/// order and each sample's augmentation are reproducible however the work is split over threads.
enum SeedMixing {
    static let shuffleStream: UInt64 = 0x5348_5546  // "SHUF"
    static let augmentationStream: UInt64 = 0x4155_474D  // "AUGM"
    static let variantStream: UInt64 = 0x5641_5249  // "VARI"

    /// SplitMix64's finaliser folded over the values: distinct inputs give unrelated seeds.
    static func mix(_ values: UInt64...) -> UInt64 {
        var h: UInt64 = 0x243F_6A88_85A3_08D3
        for value in values {
            var z = h ^ value
            z &+= 0x9E37_79B9_7F4A_7C15
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            h = z ^ (z >> 31)
        }
        return h
    }
}
