import Basics

/// Seeded training augmentation: small rotation and brightness jitter on the image (Render's
/// operations, the same ones `--rotate` / `--brightness` bend queries with), then random crop
/// with padding and horizontal flip on the normalised tensor, where they are a copy each.
///
/// Order per sample: resize to the input size, rotate, brightness, normalise, pad-and-crop,
/// flip. Every sample's choices come from its own generator, seeded by (seed, epoch, item), so
/// they do not depend on batch composition or on which thread decodes the image.
public struct TrainingAugmentation: Sendable, Equatable {
    /// Pixels of padding on every side before cropping back to the input size at a random
    /// offset (CIFAR training's RandomCrop(32, padding=4)); 0 turns it off.
    public var cropPadding: Int
    /// Chance of a left-right mirror.
    public var flipProbability: Double
    /// Rotation drawn uniformly in ±maxRotationDegrees; 0 turns it off.
    public var maxRotationDegrees: Double
    /// Brightness factor drawn uniformly in 1 ± brightnessJitter; 0 turns it off.
    public var brightnessJitter: Double
    /// What a rotation shows outside the rotated image (black, as query-time rotation does).
    public var rotationFill: RotationFill

    public init(cropPadding: Int = 0, flipProbability: Double = 0, maxRotationDegrees: Double = 0,
                brightnessJitter: Double = 0, rotationFill: RotationFill = .black) {
        precondition(cropPadding >= 0, "crop padding must be >= 0")
        precondition(flipProbability >= 0 && flipProbability <= 1, "flip probability must be in 0...1")
        precondition(maxRotationDegrees >= 0 && maxRotationDegrees.isFinite, "rotation must be finite and >= 0")
        precondition(brightnessJitter >= 0 && brightnessJitter <= 1, "brightness jitter must be in 0...1")
        self.cropPadding = cropPadding
        self.flipProbability = flipProbability
        self.maxRotationDegrees = maxRotationDegrees
        self.brightnessJitter = brightnessJitter
        self.rotationFill = rotationFill
    }

    /// No augmentation (evaluation, feature caching).
    public static let none = TrainingAugmentation()
    /// The CIFAR recipe: pad 4 and crop, flip with p = 0.5.
    public static let cifar = TrainingAugmentation(cropPadding: 4, flipProbability: 0.5)
    /// For robustness (the CNN+CBAM+LSH paper): CIFAR's plus ±15 degrees and brightness ±20%.
    public static let robust = TrainingAugmentation(cropPadding: 4, flipProbability: 0.5,
                                                    maxRotationDegrees: 15, brightnessJitter: 0.2)

    /// What augmented copies of a backbone's cached features are made with (the bends the
    /// CNN+CBAM+LSH paper trains against): ±30 degrees, brightness ±30%, shifts of up to 16
    /// pixels, flip with p = 0.5.
    public static let backboneCopies = TrainingAugmentation(cropPadding: 16, flipProbability: 0.5,
                                                            maxRotationDegrees: 30, brightnessJitter: 0.3)

    public var isIdentity: Bool {
        cropPadding == 0 && flipProbability == 0 && maxRotationDegrees == 0 && brightnessJitter == 0
    }

    /// One sample's random choices.
    public struct Draw: Sendable, Equatable {
        /// Where the crop window starts in the padded image, each in 0...2 * padding; content
        /// moves by (padding - cropX, padding - cropY).
        public var cropX: Int, cropY: Int
        public var flip: Bool
        public var rotationDegrees: Double
        public var brightnessFactor: Double

        public init(cropX: Int = 0, cropY: Int = 0, flip: Bool = false, rotationDegrees: Double = 0, brightnessFactor: Double = 1) {
            self.cropX = cropX
            self.cropY = cropY
            self.flip = flip
            self.rotationDegrees = rotationDegrees
            self.brightnessFactor = brightnessFactor
        }
    }

    /// Draws in a fixed order, each always consuming its numbers (so turning one augmentation
    /// on does not change the others' draws): crop x, crop y, flip, rotation, brightness.
    public func draw(using generator: inout SeededGenerator) -> Draw {
        let span = 2 * cropPadding + 1
        let cropX = generator.nextInt(below: span), cropY = generator.nextInt(below: span)
        let flip = generator.nextDouble() < flipProbability
        let rotation = (2 * generator.nextDouble() - 1) * maxRotationDegrees
        let brightness = 1 + (2 * generator.nextDouble() - 1) * brightnessJitter
        // With padding 0 the crop draw is 0 already.
        return Draw(cropX: cropX, cropY: cropY, flip: flip, rotationDegrees: rotation, brightnessFactor: brightness)
    }

    /// The draw of `item` in `epoch` under `seed`.
    public func draw(seed: UInt64, epoch: Int, item: Int) -> Draw {
        var generator = SeededGenerator(seed: SeedMixing.mix(seed, SeedMixing.augmentationStream, UInt64(bitPattern: Int64(epoch)),
                                                              UInt64(bitPattern: Int64(item))))
        return draw(using: &generator)
    }

    // MARK: applying a draw

    /// The image-space part of `draw`: rotation, then brightness.
    public func applyToImage(_ image: RGBImage, _ draw: Draw) -> RGBImage {
        var result = image
        if draw.rotationDegrees != 0 { result = result.rotated(degrees: draw.rotationDegrees, fill: rotationFill) }
        if draw.brightnessFactor != 1 { result = result.brightness(draw.brightnessFactor) }
        return result
    }

    /// The tensor-space part of `draws[n]` on sample n of an (N,C,H,W) batch, padding with
    /// `fill[c]` (`ImagePreprocessor.blackValues` for images).
    public func applyToSamples(_ batch: inout Tensor, draws: [Draw], fill: [Float]) {
        let (n, c, h, w) = batch.nchw
        precondition(draws.count == n, "one draw per sample")
        precondition(fill.count == c, "one fill value per channel")
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: h * w)
        defer { scratch.deallocate() }
        batch.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<n {
                applyToSample(buffer.baseAddress! + i * c * h * w, channels: c, height: h, width: w,
                              fill: fill, draws[i], scratch: scratch)
            }
        }
    }

    /// The tensor-space part of `draw` on one (C,H,W) sample at `sample`: pad by
    /// `cropPadding` with `fill[c]`, crop back at (cropX, cropY), then mirror if `flip`.
    /// `scratch` holds at least H * W floats.
    public func applyToSample(_ sample: UnsafeMutablePointer<Float>, channels: Int, height: Int, width: Int,
                              fill: [Float], _ draw: Draw, scratch: UnsafeMutablePointer<Float>) {
        let plane = height * width
        let dx = draw.cropX - cropPadding, dy = draw.cropY - cropPadding  // output (x,y) reads input (x+dx, y+dy)
        if dx != 0 || dy != 0 {
            precondition(abs(dx) <= cropPadding && abs(dy) <= cropPadding, "crop offset outside the padding")
            for c in 0..<channels {
                let channel = sample + c * plane
                scratch.update(from: channel, count: plane)
                for y in 0..<height {
                    let sy = y + dy, row = channel + y * width
                    guard sy >= 0 && sy < height else {
                        row.update(repeating: fill[c], count: width)
                        continue
                    }
                    let source = scratch + sy * width
                    for x in 0..<width {
                        let sx = x + dx
                        row[x] = sx >= 0 && sx < width ? source[sx] : fill[c]
                    }
                }
            }
        }
        if draw.flip {
            for row in stride(from: 0, to: channels * plane, by: width) {
                var left = row, right = row + width - 1
                while left < right {
                    let t = sample[left]
                    sample[left] = sample[right]
                    sample[right] = t
                    left += 1
                    right -= 1
                }
            }
        }
    }
}
