import Basics
import Foundation
import Networks
import Retrieval
import TestSupport
import XCTest
@testable import Services

/// A codes folder opened with a model: the folder's codes stay the database and the unbent
/// queries, while a bent query or an image file is encoded by the model and ranked against the
/// folder's database, a bent query judged by its row's labels. The folder here holds the model's
/// own codes of its images (so an unbent query is a bend by the identity), except where a test
/// changes a row to tell the folder's code from the model's.
final class CodesWorkspaceModelTests: XCTestCase {
    private struct Setup {
        let fixture: CodesFolderFixture
        let modelPath: String
        let model: LoadedModel
        let queryImages: any Gallery
        let databaseCodes: BinaryCodes
        let queryCodes: BinaryCodes
    }

    /// A model with random weights saved as a hashscope model file.
    private static func saveModel(_ arch: Architecture, bits: Int, in scratch: ScratchDirectory, name: String) throws -> String {
        let network = arch.build(.init(bits: bits, seed: 11))
        let path = scratch.path + "/\(name).safetensors"
        try ModelFile.save(network, metadata: ModelMetadata(arch: arch.rawValue, bits: bits, inputSize: .init(height: 32, width: 32),
                                                            normalization: .cifar10, classNames: []), to: path)
        return path
    }

    /// The model's code of one image, through the batch encoder the commands use (not the
    /// workspace's single-image path).
    private static func code(_ model: LoadedModel, _ image: RGBImage) -> BinaryCodes {
        let encoded = NetworkEncoder.encode(model.network, indices: [0], preprocessor: model.preprocessor, threads: 1, load: { _ in image })
        return model.network.binaryCodes(encoded.values)
    }

    /// The fixture's lists and images, its two code arrays replaced by `arch`'s codes of the images.
    private func setup(_ arch: Architecture = .dsh) throws -> Setup {
        let fixture = try CodesFolderFixture(bits: 16)
        let modelPath = try Self.saveModel(arch, bits: 16, in: fixture.scratch, name: arch.rawValue)
        let model = try LoadedModel(path: modelPath)
        var codes: [String: BinaryCodes] = [:]
        var queryImages: (any Gallery)?
        for (spec, prefix) in [(fixture.databaseSpec, "trn"), (fixture.querySpec, "tst")] {
            let gallery = try ImageRootGallery(GalleryOpener.open(spec), root: fixture.imageRoot)
            var signs: [[Float]] = []
            for i in 0..<gallery.count {
                let one = Self.code(model, try gallery.image(at: i))
                signs.append((0..<16).map { one.bit($0, ofCode: 0) ? 1 : -1 })
            }
            try fixture.scratch.write("save/\(prefix)_binary.npy", NPYWriter.float32(signs))
            codes[prefix] = BinaryCodes.fromSigns(signs.flatMap { $0 }, bits: 16)
            if prefix == "tst" { queryImages = gallery }
        }
        return Setup(fixture: fixture, modelPath: modelPath, model: model, queryImages: queryImages!,
                     databaseCodes: codes["trn"]!, queryCodes: codes["tst"]!)
    }

    private func open(_ setup: Setup) throws -> CodesWorkspace {
        try CodesWorkspace.open(folder: setup.fixture.folder, gallerySpec: setup.fixture.databaseSpec, querySpec: setup.fixture.querySpec,
                                imageRoot: setup.fixture.imageRoot, modelPath: setup.modelPath)
    }

    /// Database positions by (distance to `query`, position): the definition of the ranking.
    private static func order(_ database: BinaryCodes, _ query: BinaryCodes) -> [Int] {
        (0..<database.count).sorted { (database.distance($0, to: query, 0), $0) < (database.distance($1, to: query, 0), $1) }
    }

    func testABendRanksTheModelsCodeOfTheBentImageAgainstTheFolder() throws {
        let setup = try setup()
        let workspace = try open(setup)
        XCTAssertEqual(workspace.loadedModel?.path, setup.modelPath)
        XCTAssertEqual(workspace.origin, setup.fixture.folder, "the codes still come from the folder")
        let bend = try AugmentationSpec(parsing: "rotate:30,brightness:1.4")
        let top = 10
        var changed = 0
        for q in 0..<6 {
            XCTAssertNil(workspace.needsNetwork(QueryRequest(source: .item(q), augmentation: bend)))
            let result = try workspace.search(QueryRequest(source: .item(q), augmentation: bend, top: top))
            let bentCode = Self.code(setup.model, try bend.apply(to: setup.queryImages.image(at: q)))
            if bentCode.distance(0, to: setup.queryCodes, q) > 0 { changed += 1 }
            let order = Self.order(setup.databaseCodes, bentCode)
            XCTAssertEqual(result.neighbours.map(\.item), Array(order.prefix(top)), "query \(q)")
            XCTAssertEqual(result.neighbours.map(\.distance), order.prefix(top).map { setup.databaseCodes.distance($0, to: bentCode, 0) })
            XCTAssertEqual(result.augmented, try bend.apply(to: setup.queryImages.image(at: q)), "the bent picture is shown")

            // Judged by the row's labels: P@n over the shown neighbours, AP as CalcTopMap.
            let relevant = { (i: Int) in !Set(setup.fixture.queryLabels[q]).isDisjoint(with: setup.fixture.databaseLabels[i]) }
            XCTAssertEqual(result.queryLabels, setup.fixture.queryLabels[q])
            XCTAssertEqual(result.neighbours.map(\.relevant), order.prefix(top).map(relevant))
            XCTAssertEqual(try XCTUnwrap(result.precision), Double(order.prefix(top).filter(relevant).count) / Double(top), accuracy: 1e-12)
            var hits = 0, sum = 0.0
            for (position, i) in order.enumerated() where relevant(i) {
                hits += 1
                sum += Double(hits) / Double(position + 1)
            }
            XCTAssertEqual(try XCTUnwrap(result.averagePrecision), hits == 0 ? 0 : sum / Double(hits), accuracy: 1e-12, "query \(q)")
            XCTAssertNotNil(result.tieAwarePrecision)
        }
        XCTAssertGreaterThan(changed, 0, "the bend moves some query's code, so the test tells a bent query from an unbent one")
    }

    func testAnUnbentQueryKeepsTheFoldersCodeEvenWhereTheModelDiffers() throws {
        let setup = try setup(.cbam)
        // Row 0 as PyTorch might have made it: not the model's code here.
        var rows: [[Float]] = (0..<6).map { q in (0..<16).map { setup.queryCodes.bit($0, ofCode: q) ? 1 : -1 } }
        rows[0] = rows[0].enumerated().map { $0.offset < 5 ? -$0.element : $0.element }
        try setup.fixture.scratch.write("save/tst_binary.npy", NPYWriter.float32(rows))
        let folderCode = BinaryCodes.fromSigns(rows[0], bits: 16)
        let workspace = try open(setup)
        let codesOnly = try CodesWorkspace.open(folder: setup.fixture.folder, gallerySpec: setup.fixture.databaseSpec,
                                                querySpec: setup.fixture.querySpec, imageRoot: setup.fixture.imageRoot)
        for request in [QueryRequest(source: .item(0), top: 12), QueryRequest(source: .item(0), top: 12, heatmap: true)] {
            let result = try workspace.search(request)
            XCTAssertEqual(result.neighbours.map(\.item), Array(Self.order(setup.databaseCodes, folderCode).prefix(12)))
            let plain = try codesOnly.search(QueryRequest(source: .item(0), top: 12))
            XCTAssertEqual(result.neighbours, plain.neighbours, "the figures are the codes-only workspace's, so metrics' ones")
            XCTAssertEqual(result.precision, plain.precision)
            XCTAssertEqual(result.averagePrecision, plain.averagePrecision)
            XCTAssertEqual(result.heatmap != nil, request.heatmap, "cbam has attention: the map comes from the model")
        }
        // Bent, the same row is the model's code of the bent image, not the folder's code.
        let bend = try AugmentationSpec(parsing: "brightness:1.3")
        let bent = try workspace.search(QueryRequest(source: .item(0), augmentation: bend, top: 12))
        let bentCode = Self.code(setup.model, try bend.apply(to: setup.queryImages.image(at: 0)))
        XCTAssertEqual(bent.neighbours.map(\.distance), Self.order(setup.databaseCodes, bentCode).prefix(12).map {
            setup.databaseCodes.distance($0, to: bentCode, 0)
        })
        // Neighbour heatmaps need the model too, and are allowed.
        XCTAssertNil(workspace.needsNetwork(QueryRequest(source: .item(0), neighbourHeatmaps: true)))
    }

    func testAnImageFileIsEncodedAndRankedWithoutLabels() throws {
        let setup = try setup()
        let workspace = try open(setup)
        let path = setup.fixture.imageRoot + "/database/3.ppm"
        let bend = try AugmentationSpec(parsing: "rotate:90")
        for augmentation in [AugmentationSpec.identity, bend] {
            let result = try workspace.search(QueryRequest(source: .file(path), augmentation: augmentation, top: 8))
            let fileCode = Self.code(setup.model, try augmentation.apply(to: ImageDecoder.decode(file: path)))
            XCTAssertEqual(result.neighbours.map(\.item), Array(Self.order(setup.databaseCodes, fileCode).prefix(8)))
            XCTAssertNil(result.queryLabels)
            XCTAssertNil(result.precision)
            XCTAssertNil(result.averagePrecision)
            XCTAssertTrue(result.neighbours.allSatisfy { $0.relevant == nil })
        }
        let unbent = try workspace.search(QueryRequest(source: .file(path), top: 1))
        XCTAssertEqual(unbent.neighbours.first?.distance, 0, "database item 3's own image finds its code at distance 0")
    }

    func testAModelOfAnotherCodeLengthIsRefusedNamingBothFiles() throws {
        let fixture = try CodesFolderFixture(bits: 32)
        let modelPath = try Self.saveModel(.dsh, bits: 16, in: fixture.scratch, name: "dsh16")
        XCTAssertThrowsError(try CodesWorkspace.open(folder: fixture.folder, gallerySpec: fixture.databaseSpec, querySpec: fixture.querySpec,
                                                     imageRoot: fixture.imageRoot, modelPath: modelPath)) { error in
            let message = (error as? ServiceError)?.message ?? "\(error)"
            XCTAssertEqual(message, "\(modelPath) makes 16-bit codes, but \(fixture.folder)/trn_binary.npy holds 32-bit codes")
        }
        XCTAssertThrowsError(try CodesWorkspace.open(folder: fixture.folder, gallerySpec: fixture.databaseSpec, querySpec: fixture.querySpec,
                                                     modelPath: fixture.scratch.path + "/absent.safetensors")) { error in
            XCTAssertTrue(((error as? ServiceError)?.message ?? "").contains(fixture.scratch.path + "/absent.safetensors"), "\(error)")
        }
    }
}
