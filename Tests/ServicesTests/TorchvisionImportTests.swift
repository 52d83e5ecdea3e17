import Basics
import Interchange
import Networks
import Services
import TestSupport
import XCTest

/// `TorchvisionImport` on state dicts laid out as DeepHash-pytorch saves them: a network's own
/// weights renamed into DeepHash's names (and stored twice where DeepHash's modules register
/// twice) come back as the same network, and every way a file can fail to fit is one error
/// naming the file.
final class TorchvisionImportTests: XCTestCase {
    private func deepHashResNet18() -> (network: HashingNetwork, tensors: [TorchTensor]) {
        DeepHashStateDict.resNet(.deephashResNet18, bits: 12)
    }

    func testADeepHashResNetStateDictImportsAsTheSameNetwork() throws {
        let (original, tensors) = deepHashResNet18()
        let imported = try TorchvisionImport(tensors: tensors, path: "run/model.pt", format: "zip", arch: .deephashResNet18, bits: 12)
        XCTAssertEqual(imported.metadata.arch, "deephash-resnet18")
        XCTAssertEqual(imported.metadata.bits, 12, "bits from the hash layer")
        XCTAssertEqual(imported.metadata.inputSize, .init(height: 224, width: 224))
        XCTAssertEqual(imported.metadata.normalization, .imageNet)
        XCTAssertTrue(imported.metadata.provenance.notes?.contains("model.pt") == true)
        XCTAssertEqual(imported.droppedDuplicates, tensors.filter { $0.name.hasPrefix("feature_layers.") }.count)
        XCTAssertEqual(imported.skippedIntegers, 20, "one counter per batch norm")
        for ((name, ours), (_, theirs)) in zip(imported.network.stateDict, original.stateDict) {
            XCTAssertEqual(ours.scalars, theirs.scalars, name)
        }
        var generator = SeededGenerator(seed: 4)
        let x = Tensor.randomNormal([1, 3, 64, 64], generator: &generator)
        XCTAssertEqual(imported.network(x).scalars, original(x).scalars)
        XCTAssertNil(imported.metadata.validationProblem)
    }

    func testBitsComeFromTheFileAndMustMatchWhenGiven() throws {
        let (_, tensors) = deepHashResNet18()
        XCTAssertEqual(try TorchvisionImport(tensors: tensors, path: "m.pt", format: "zip", arch: .deephashResNet18, bits: nil).metadata.bits, 12)
        assertFails(try TorchvisionImport(tensors: tensors, path: "m.pt", format: "zip", arch: .deephashResNet18, bits: 48),
                    ["m.pt", "hash_layer.weight has 12 outputs, --bits says 48"])
    }

    func testEveryMisfitIsOneErrorNamingTheFile() {
        let (_, tensors) = deepHashResNet18()
        func importing(_ edited: [TorchTensor], as arch: Architecture = .deephashResNet18) throws -> TorchvisionImport {
            try TorchvisionImport(tensors: edited, path: "runs/m.pt", format: "zip", arch: arch, bits: nil)
        }
        // Another family: ResNet names have no place in AlexNet.
        assertFails(try importing(tensors, as: .deephashAlexNet), ["runs/m.pt", "not a deephash-alexnet state dict", "conv1.weight"])
        // A deeper ResNet's file lacks blocks: named, with the shape expected.
        assertFails(try importing(tensors, as: .deephashResNet34), ["runs/m.pt", "does not fit deephash-resnet34", "features.layer1.2.conv1.weight: missing"])
        // A tensor with another shape.
        var reshaped = tensors
        for index in reshaped.indices where ["layer2.0.conv1.weight", "feature_layers.5.0.conv1.weight"].contains(reshaped[index].name) {
            let t = reshaped[index]
            reshaped[index] = TorchTensor(name: t.name, dtype: t.dtype, shape: [t.shape[0] / 2, t.shape[1] * 2] + t.shape[2...], values: t.values)
        }
        assertFails(try importing(reshaped), ["layer2.0.conv1.weight: file has [64, 128, 3, 3], deephash-resnet18 expects [128, 64, 3, 3]"])
        // The two copies DeepHash stores must agree.
        var diverged = tensors
        let copy = diverged.firstIndex { $0.name == "feature_layers.4.0.conv1.weight" }!
        let c = diverged[copy]
        diverged[copy] = TorchTensor(name: c.name, dtype: c.dtype, shape: c.shape, values: c.values.map { $0 + 1 })
        assertFails(try importing(diverged), ["feature_layers.4.0.conv1.weight should be another name of layer1.0.conv1.weight"])
        // No hash layer at all.
        assertFails(try importing(tensors.filter { !$0.name.hasPrefix("hash_layer") }), ["runs/m.pt: no hash layer"])
        // A name the family does not have.
        assertFails(try importing(tensors + [TorchTensor(name: "classifier.weight", dtype: .float32, shape: [10, 12], values: .init(repeating: 0, count: 120))]),
                    ["no place for classifier.weight"])
        // An arch hashscope trains itself.
        assertFails(try importing(tensors, as: .cbam), ["--arch cbam is trained by hashscope, not imported"])
    }

    /// Only the copy under feature_layers is present (a state dict saved from the Sequential
    /// alone): the alias is used.
    func testAnAliasStandsInForAMissingFirstName() throws {
        let (original, tensors) = deepHashResNet18()
        let onlySequential = tensors.filter { !$0.name.hasPrefix("conv1.") && !$0.name.hasPrefix("bn1.") }
        let imported = try TorchvisionImport(tensors: onlySequential, path: "m.pt", format: "zip", arch: .deephashResNet18, bits: 12)
        XCTAssertEqual(imported.network.parameters.first?.value.scalars, original.parameters.first?.value.scalars)
    }

    private func assertFails<T>(_ expression: @autoclosure () throws -> T, _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            let message = (error as? ServiceError)?.message ?? "\(error)"
            XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
            for fragment in fragments {
                XCTAssertTrue(message.contains(fragment), "'\(fragment)' in: \(message)", file: file, line: line)
            }
        }
    }
}
