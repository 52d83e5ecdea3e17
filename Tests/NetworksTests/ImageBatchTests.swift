import Foundation
import Networks
import Basics
import TestSupport
import XCTest

/// Images into network input: layout and normalisation, resizing, seeded augmentation, and
/// the batch loader's epochs, partial batches and unreadable items.
final class ImageBatchTests: XCTestCase {
    /// A w x h image whose pixel (x, y) is (base + x, base + 10 y, base + 100 + x + y), so
    /// every position and channel is distinguishable.
    private static func patterned(width: Int, height: Int, base: Int = 0) -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width {
                pixels += [UInt8((base + x) % 256), UInt8((base + 10 * y) % 256), UInt8((base + 100 + x + y) % 256)]
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private struct Unreadable: Error, LocalizedError {
        let index: Int
        var errorDescription: String? { "/data/\(index).jpg: corrupt image: bad Huffman code" }
    }

    // MARK: - layout and normalisation

    func testTensorLayoutIsChannelPlanesWithNormalisedValues() {
        let image = Self.patterned(width: 3, height: 2, base: 20)
        let cifar = ImagePreprocessor(width: 3, height: 2, normalization: .cifar10).tensor(image)
        XCTAssertEqual(cifar.shape, [1, 3, 2, 3])
        let mean: [Float] = [0.4914, 0.4822, 0.4465], std: [Float] = [0.2470, 0.2435, 0.2616]
        for y in 0..<2 {
            for x in 0..<3 {
                let pixel = image[x, y]
                let values = [pixel.r, pixel.g, pixel.b]
                for c in 0..<3 {
                    assertClose(cifar[0, c, y, x], (Float(values[c]) / 255 - mean[c]) / std[c], rtol: 1e-5, atol: 1e-6, "(\(c),\(y),\(x))")
                }
            }
        }
        // Known pixels: (0,0) = (20, 20, 120); (2,1) = (22, 30, 123). The red plane comes first.
        assertClose(cifar[flat: 0], (20 / 255 - 0.4914) / 0.2470, rtol: 1e-5)
        assertClose(cifar[flat: 6 + 5], (30 / 255 - 0.4822) / 0.2435, rtol: 1e-5)  // green plane, last pixel

        let lite = ImagePreprocessor(width: 3, height: 2, normalization: .efficientNetLite).tensor(image)
        XCTAssertEqual(lite[0, 0, 0, 0], (20 - 127) / 128)
        XCTAssertEqual(lite[0, 2, 1, 2], (123 - 127) / 128)
        XCTAssertEqual(lite[0, 1, 1, 0], (30 - 127) / 128)
        // Black, what padding fills with.
        XCTAssertEqual(ImagePreprocessor(width: 1, height: 1, normalization: .efficientNetLite).blackValues,
                       [-127 / 128, -127 / 128, -127 / 128])
    }

    func testNormalizationIsRecordedInModelMetadata() throws {
        let json = try JSONEncoder().encode(Normalization.cifar10)
        XCTAssertEqual(try JSONDecoder().decode(Normalization.self, from: json), .cifar10)
        let metadata = ModelMetadata(arch: "dsh", bits: 48, inputSize: .init(height: 32, width: 32),
                                     normalization: .cifar10, classNames: [])
        let preprocessor = ImagePreprocessor(metadata: metadata)
        XCTAssertEqual([preprocessor.width, preprocessor.height], [32, 32])
        XCTAssertEqual(preprocessor.normalization, .cifar10)
    }

    func testImagesAreResizedToTheInputSize() {
        let image = Self.patterned(width: 8, height: 6)
        let preprocessor = ImagePreprocessor(width: 4, height: 3, normalization: .efficientNetLite)
        let tensor = preprocessor.tensor([image, Self.patterned(width: 4, height: 3, base: 7)])
        XCTAssertEqual(tensor.shape, [2, 3, 3, 4])
        let resized = preprocessor.tensor(image.resized(width: 4, height: 3))
        XCTAssertEqual(Array(tensor.scalars[0..<36]), resized.scalars)
        XCTAssertEqual(Array(tensor.scalars[36...]), preprocessor.tensor(Self.patterned(width: 4, height: 3, base: 7)).scalars)
        // A flat colour stays that colour at any size.
        let flat = RGBImage(width: 5, height: 7, pixels: [UInt8](repeating: 200, count: 105))
        let up = ImagePreprocessor(width: 16, height: 16, normalization: .efficientNetLite).tensor(flat)
        XCTAssertTrue(up.scalars.allSatisfy { $0 == (200 - 127) / 128 })
    }

    // MARK: - augmentation

    func testAugmentationDrawsAreSeededAndInRange() {
        let augmentation = TrainingAugmentation.robust
        XCTAssertEqual(augmentation.draw(seed: 1, epoch: 2, item: 3), augmentation.draw(seed: 1, epoch: 2, item: 3))
        XCTAssertNotEqual(augmentation.draw(seed: 1, epoch: 2, item: 3), augmentation.draw(seed: 2, epoch: 2, item: 3))
        XCTAssertNotEqual(augmentation.draw(seed: 1, epoch: 2, item: 3), augmentation.draw(seed: 1, epoch: 3, item: 3))
        XCTAssertNotEqual(augmentation.draw(seed: 1, epoch: 2, item: 3), augmentation.draw(seed: 1, epoch: 2, item: 4))

        let draws = (0..<2000).map { augmentation.draw(seed: 9, epoch: 0, item: $0) }
        XCTAssertTrue(draws.allSatisfy { (0...8).contains($0.cropX) && (0...8).contains($0.cropY) })
        XCTAssertEqual(Set(draws.map(\.cropX)), Set(0...8))
        XCTAssertTrue(draws.allSatisfy { abs($0.rotationDegrees) <= 15 && abs($0.brightnessFactor - 1) <= 0.2 })
        let flips = Double(draws.filter(\.flip).count) / Double(draws.count)
        XCTAssertEqual(flips, 0.5, accuracy: 0.05)

        // Turning rotation on leaves the other draws as they were.
        let cifar = TrainingAugmentation.cifar.draw(seed: 9, epoch: 0, item: 5)
        XCTAssertEqual([cifar.cropX, cifar.cropY], [draws[5].cropX, draws[5].cropY])
        XCTAssertEqual(cifar.flip, draws[5].flip)
        XCTAssertEqual(cifar.rotationDegrees, 0)
        XCTAssertEqual(cifar.brightnessFactor, 1)
        XCTAssertTrue(TrainingAugmentation.none.isIdentity)
    }

    func testFlipMirrorsTheTensor() {
        let image = Self.patterned(width: 5, height: 4)
        let preprocessor = ImagePreprocessor(width: 5, height: 4, normalization: .cifar10)
        var tensor = preprocessor.tensor(image)
        let augmentation = TrainingAugmentation.cifar
        augmentation.applyToSamples(&tensor, draws: [.init(cropX: 4, cropY: 4, flip: true)], fill: preprocessor.blackValues)
        XCTAssertEqual(tensor, preprocessor.tensor(image.flippedHorizontally()))
        XCTAssertEqual(tensor[0, 0, 2, 0], preprocessor.tensor(image)[0, 0, 2, 4])
        // Flipping twice is the identity.
        augmentation.applyToSamples(&tensor, draws: [.init(cropX: 4, cropY: 4, flip: true)], fill: preprocessor.blackValues)
        XCTAssertEqual(tensor, preprocessor.tensor(image))
    }

    func testCropWithPaddingKeepsTheSizeAndShiftsTheContent() {
        let image = Self.patterned(width: 8, height: 6)
        let preprocessor = ImagePreprocessor(width: 8, height: 6, normalization: .cifar10)
        let original = preprocessor.tensor(image)
        var tensor = original
        // Window at (6, 3) in the image padded by 4: output (x, y) shows input (x + 2, y - 1).
        TrainingAugmentation.cifar.applyToSamples(&tensor, draws: [.init(cropX: 6, cropY: 3)], fill: preprocessor.blackValues)
        XCTAssertEqual(tensor.shape, [1, 3, 6, 8])
        let black = preprocessor.blackValues
        for c in 0..<3 {
            for y in 0..<6 {
                for x in 0..<8 {
                    let sx = x + 2, sy = y - 1
                    let expected = sx < 8 && sy >= 0 ? original[0, c, sy, sx] : black[c]
                    XCTAssertEqual(tensor[0, c, y, x], expected, "(\(c),\(y),\(x))")
                }
            }
        }
        // The centre window (4, 4) changes nothing.
        var centred = original
        TrainingAugmentation.cifar.applyToSamples(&centred, draws: [.init(cropX: 4, cropY: 4)], fill: black)
        XCTAssertEqual(centred, original)
    }

    func testImageSpaceAugmentationIsRendersRotationAndBrightness() {
        let image = Self.patterned(width: 12, height: 10)
        let augmentation = TrainingAugmentation.robust
        let draw = TrainingAugmentation.Draw(rotationDegrees: 10, brightnessFactor: 1.2)
        XCTAssertEqual(augmentation.applyToImage(image, draw), image.rotated(degrees: 10).brightness(1.2))
        XCTAssertEqual(augmentation.applyToImage(image, TrainingAugmentation.Draw()), image)
    }

    // MARK: - the batch loader

    private func loader(_ indices: [Int], batchSize: Int = 5, augmentation: TrainingAugmentation = .none,
                        shuffle: Bool = true, dropLast: Bool = false, strict: Bool = false, seed: UInt64 = 7,
                        threads: Int = 2, failing: Set<Int> = []) -> ImageBatchLoader {
        let preprocessor = ImagePreprocessor(width: 4, height: 4, normalization: .efficientNetLite)
        return ImageBatchLoader(indices: indices, batchSize: batchSize, preprocessor: preprocessor, augmentation: augmentation,
                                shuffle: shuffle, dropLast: dropLast, strict: strict, seed: seed, threads: threads) { index in
            if failing.contains(index) { throw Unreadable(index: index) }
            return Self.patterned(width: 6, height: 5, base: index)
        }
    }

    private func allBatches(_ loader: ImageBatchLoader, epoch: Int) throws -> (batches: [ImageBatch], epoch: ImageBatchLoader.Epoch) {
        var iterator = loader.epoch(epoch)
        var batches: [ImageBatch] = []
        while let batch = try iterator.next() { batches.append(batch) }
        return (batches, iterator)
    }

    func testEveryIndexOncePerEpochInASeededOrder() throws {
        let indices = Array(stride(from: 3, to: 72, by: 3))  // 23 items
        let loader = loader(indices)
        XCTAssertEqual(loader.batchesPerEpoch, 5)
        let (batches, epoch) = try allBatches(loader, epoch: 0)
        XCTAssertEqual(batches.map(\.count), [5, 5, 5, 5, 3])  // the partial batch kept
        let visited = batches.flatMap(\.indices)
        XCTAssertEqual(visited, loader.order(epoch: 0))
        XCTAssertEqual(visited.sorted(), indices)
        XCTAssertNotEqual(visited, indices, "shuffled")
        XCTAssertEqual(epoch.skippedCount, 0)
        XCTAssertEqual(epoch.droppedCount, 0)

        // Same seed and epoch: the same order; another epoch or seed: another.
        XCTAssertEqual(self.loader(indices).order(epoch: 0), visited)
        XCTAssertNotEqual(loader.order(epoch: 1), visited)
        XCTAssertNotEqual(self.loader(indices, seed: 8).order(epoch: 0), visited)
        XCTAssertEqual(self.loader(indices, shuffle: false).order(epoch: 3), indices)

        // Each sample is its item's image, preprocessed (no augmentation here).
        let preprocessor = loader.preprocessor
        for batch in batches {
            XCTAssertEqual(batch.images.shape, [batch.count, 3, 4, 4])
            for (n, index) in batch.indices.enumerated() {
                let expected = preprocessor.tensor(Self.patterned(width: 6, height: 5, base: index)).scalars
                XCTAssertEqual(Array(batch.images.scalars[n * 48..<(n + 1) * 48]), expected, "item \(index)")
            }
        }
    }

    func testTheLastPartialBatchCanBeDropped() throws {
        let loader = loader(Array(0..<23), dropLast: true)
        XCTAssertEqual(loader.batchesPerEpoch, 4)
        let (batches, epoch) = try allBatches(loader, epoch: 2)
        XCTAssertEqual(batches.map(\.count), [5, 5, 5, 5])
        XCTAssertEqual(epoch.droppedCount, 3)
        XCTAssertEqual(batches.flatMap(\.indices), Array(loader.order(epoch: 2).prefix(20)))

        let exact = try allBatches(self.loader(Array(0..<20), dropLast: true), epoch: 0)
        XCTAssertEqual(exact.batches.map(\.count), [5, 5, 5, 5])
        XCTAssertEqual(exact.epoch.droppedCount, 0)
    }

    func testAugmentedBatchesAreDeterministicWhateverTheThreads() throws {
        let indices = Array(0..<17)
        let one = try allBatches(loader(indices, augmentation: .robust, threads: 1), epoch: 4).batches
        let two = try allBatches(loader(indices, augmentation: .robust, threads: 2), epoch: 4).batches
        XCTAssertEqual(one.map(\.images), two.map(\.images))
        XCTAssertEqual(one.map(\.indices), two.map(\.indices))
        let plain = try allBatches(loader(indices, threads: 2), epoch: 4).batches
        XCTAssertNotEqual(one.map(\.images), plain.map(\.images), "augmentation changed something")
        let nextEpoch = try allBatches(loader(indices, augmentation: .robust), epoch: 5).batches
        XCTAssertNotEqual(nextEpoch.map(\.indices), one.map(\.indices))
    }

    func testUnreadableItemsAreSkippedCountedAndToppedUp() throws {
        let failing: Set<Int> = [3, 10, 17, 18]
        let loader = loader(Array(0..<23), failing: failing)
        let (batches, epoch) = try allBatches(loader, epoch: 0)
        XCTAssertEqual(batches.map(\.count), [5, 5, 5, 4])  // full batches, topped up after a skip
        XCTAssertEqual(Set(batches.flatMap(\.indices)), Set(0..<23).subtracting(failing))
        XCTAssertEqual(epoch.skippedCount, 4)
        // Recorded in visiting order, each with the loader's one-line message.
        XCTAssertEqual(epoch.skipped.map(\.index), loader.order(epoch: 0).filter(failing.contains))
        XCTAssertEqual(epoch.skipped.first?.message, "/data/\(epoch.skipped[0].index).jpg: corrupt image: bad Huffman code")

        // Every item unreadable: no batches, all counted.
        let none = try allBatches(self.loader(Array(0..<3), failing: [0, 1, 2]), epoch: 0)
        XCTAssertEqual(none.batches.count, 0)
        XCTAssertEqual(none.epoch.skippedCount, 3)
    }

    func testStrictLoaderThrowsOnTheFirstUnreadableItem() throws {
        let failing: Set<Int> = [3, 10, 17]
        let loader = loader(Array(0..<23), strict: true, failing: failing)
        let first = loader.order(epoch: 1).first(where: failing.contains)!
        XCTAssertThrowsError(try allBatches(loader, epoch: 1)) { error in
            XCTAssertEqual(error as? ImageLoadingError,
                           ImageLoadingError(index: first, message: "/data/\(first).jpg: corrupt image: bad Huffman code"))
            XCTAssertEqual(error.localizedDescription, "item \(first): /data/\(first).jpg: corrupt image: bad Huffman code")
        }
    }
}
