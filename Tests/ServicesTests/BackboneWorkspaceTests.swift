import Foundation
import Networks
import TestSupport
import XCTest
@testable import Services

/// A head on a (randomly initialised) EfficientNet-Lite0 in the explorer's engine: the gallery is
/// encoded from the feature cache, queries end to end, and the head's attention is shown.
final class BackboneWorkspaceTests: XCTestCase {
    func testHeadWorkspaceEncodesTheGalleryFromCachedFeaturesAndShowsAttention() throws {
        let scratch = try ScratchDirectory()
        let weights = scratch.path + "/" + BackboneName.efficientNetLite0.defaultWeightsPath
        try RandomBackbone.write(to: weights)
        let gallery = try TinyGallery.make(in: scratch)
        let model = scratch.path + "/head.safetensors"
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = scratch.path + "/cache"
        let train = try CommandRunner.run(["train", "--arch", "cbam", "--bits", "16", "--backbone", "efficientnet-lite0", "--backbone-weights", weights,
                                           "--size", "32", "--dataset", gallery, "--protocol", "cifar10-full", "--epochs", "1",
                                           "--batch", "8", "--out", model], environment: environment)
        XCTAssertEqual(train.status, 0, train.stderr)
        let featureFolder = scratch.path + "/cache/hashscope/features"
        let cachedFeatures = try FileManager.default.contentsOfDirectory(atPath: featureFolder)
        XCTAssertEqual(cachedFeatures.count, 1, "train cached the trunk features")
        let modified = try FileManager.default.attributesOfItem(atPath: featureFolder + "/" + cachedFeatures[0])[.modificationDate] as? Date

        let workspace = try Workspace.open(modelPath: model, gallerySpec: gallery, cacheFolder: scratch.path + "/cache/hashscope/codes",
                                           threads: 1)
        XCTAssertEqual(workspace.model.backbone?.name, .efficientNetLite0)
        XCTAssertEqual(workspace.codes.count, 50)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: featureFolder), cachedFeatures)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: featureFolder + "/" + cachedFeatures[0])[.modificationDate] as? Date,
                       modified, "the gallery's codes came from the cached features, not a second backbone pass")
        // Codes from float16 features and from images end to end agree (but for rounding).
        let endToEnd = NetworkEncoder.encode(workspace.model.network, indices: Array(0..<50), preprocessor: workspace.model.preprocessor,
                                             threads: 1, load: { try workspace.gallery.image(at: $0) })
        let direct = workspace.model.network.binaryCodes(endToEnd.values)
        var differing = 0
        for i in 0..<50 where direct.distance(i, to: workspace.codes, i) != 0 { differing += 1 }
        XCTAssertLessThanOrEqual(differing, 5, "codes from cached features vs images")

        let result = try workspace.search(QueryRequest(source: .item(3), top: 5, heatmap: true))
        XCTAssertEqual(result.neighbours.count, 5)
        XCTAssertNotNil(result.heatmap, "the cbam head's spatial attention")
    }
}
