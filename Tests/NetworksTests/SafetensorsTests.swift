import Basics
import Foundation
import Networks
import TestSupport
import XCTest

/// A model made of named tensors only: what model loading sees of any network.
private struct NamedTensors: Layer {
    var parameterNames: [String], values: [Tensor], gradients: [Tensor]
    var bufferNames: [String] = [], bufferValues: [Tensor] = []

    init(parameters: [(String, [Int])], buffers: [(String, [Int])] = []) {
        parameterNames = parameters.map(\.0)
        values = parameters.map { Tensor(shape: $0.1, repeating: 0) }
        gradients = values
        bufferNames = buffers.map(\.0)
        bufferValues = buffers.map { Tensor(shape: $0.1, repeating: 0) }
    }

    func forward(_ input: Tensor, training: Bool) -> (output: Tensor, cache: Void) { (input, ()) }
    func backward(_ gradOutput: Tensor, cache: Void) -> Tensor { gradOutput }

    mutating func visitParameters(_ visit: (String, inout Tensor, inout Tensor) -> Void) {
        for i in parameterNames.indices { visit(parameterNames[i], &values[i], &gradients[i]) }
    }

    mutating func visitBuffers(_ visit: (String, inout Tensor) -> Void) {
        for i in bufferNames.indices { visit(bufferNames[i], &bufferValues[i]) }
    }
}

final class SafetensorsTests: XCTestCase {
    // MARK: helpers

    /// A file from a header string and data bytes, laid out by hand (length, JSON, data).
    private func file(header: String, data: [UInt8] = []) -> [UInt8] {
        let json = Array(header.utf8)
        var bytes: [UInt8] = []
        var length = UInt64(json.count)
        for _ in 0..<8 { bytes.append(UInt8(length & 0xFF)); length >>= 8 }
        return bytes + json + data
    }

    private func littleEndian(_ values: [Float]) -> [UInt8] {
        values.flatMap { v -> [UInt8] in let b = v.bitPattern; return (0..<4).map { UInt8((b >> (8 * $0)) & 0xFF) } }
    }

    private func littleEndian16(_ values: [UInt16]) -> [UInt8] {
        values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
    }

    /// The error reading `bytes` as a file gives, or a failure.
    private func readError(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws -> ModelFileError {
        let scratch = try ScratchDirectory()
        let path = try scratch.write("bad.safetensors", bytes)
        let error: ModelFileError
        do {
            _ = try SafetensorsFile(path: path)
            XCTFail("expected an error reading the file", file: file, line: line)
            throw NoErrorThrown()
        } catch let thrown as ModelFileError {
            error = thrown
        }
        XCTAssertEqual(error.path, path, file: file, line: line)
        let message = error.errorDescription ?? ""
        XCTAssertTrue(message.hasPrefix(path + ": "), "message names the file: \(message)", file: file, line: line)
        XCTAssertFalse(message.contains("\n"), "one line: \(message)", file: file, line: line)
        return error
    }

    private struct NoErrorThrown: Error {}

    private func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
        var generator = SeededGenerator(seed: seed)
        return Tensor.randomUniform(shape, low: -2, high: 2, generator: &generator)
    }

    // MARK: round trips

    func testRoundTripF32KeepsEveryBitAndTheMetadata() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/model.safetensors"
        let stateDict: [(name: String, value: Tensor)] = [
            ("conv1.weight", randomTensor([4, 3, 3, 3], seed: 1)),
            ("conv1.bias", randomTensor([4], seed: 2)),
            ("bn.running_var", Tensor(shape: [4], scalars: [1, .leastNonzeroMagnitude, -.infinity, .greatestFiniteMagnitude])),
            ("scale", Tensor(shape: [], scalars: [0.5])),
            ("empty", Tensor.zeros([0, 3])),
        ]
        let metadata = ["arch": "dsh", "note": "quote \" backslash \\ newline \n tab \t ünïcode / slash \u{01}"]
        try ModelFile.save(stateDict: stateDict, metadata: metadata, to: path)
        let (tensors, readMetadata) = try ModelFile.load(path)
        XCTAssertEqual(readMetadata, metadata)
        XCTAssertEqual(Set(tensors.keys), Set(stateDict.map(\.name)))
        for (name, value) in stateDict {
            XCTAssertEqual(tensors[name]?.shape, value.shape, name)
            XCTAssertEqual(tensors[name]?.scalars.map(\.bitPattern), value.scalars.map(\.bitPattern), name)
        }
        // The reader's view: data order F32 by name, every tensor 8-byte aligned in the file.
        let opened = try SafetensorsFile(path: path)
        XCTAssertEqual(opened.entries.map(\.name), ["bn.running_var", "conv1.bias", "conv1.weight", "empty", "scale"])
        XCTAssertEqual(opened.entries.first?.offsets.lowerBound, 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        XCTAssertEqual((bytes.count - opened.entries.reduce(0) { $0 + $1.offsets.count }) % 8, 0, "header padded to 8 bytes")
    }

    func testRoundTripF16AndBF16() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/features.safetensors"
        // Exactly representable in half precision: must come back unchanged.
        let exact = Tensor(shape: [2, 3], scalars: [0, -0.5, 1, 2048, 65504, -1.0 / 1024])
        let rounded = randomTensor([64], seed: 3)
        try SafetensorsWriter.write([
            .init(name: "exact", tensor: exact, dtype: .f16),
            .init(name: "rounded", tensor: rounded, dtype: .f16),
            .init(name: "brain", tensor: rounded, dtype: .bf16),
            .init(name: "full", tensor: exact, dtype: .f32),
        ], to: path)
        let file = try SafetensorsFile(path: path)
        // F32 first, then BF16, then F16 (reference order: dtype descending, then name).
        XCTAssertEqual(file.entries.map(\.name), ["full", "brain", "exact", "rounded"])
        XCTAssertEqual(file.entry("exact")?.dtype, .f16)
        XCTAssertEqual(try file.tensor("exact"), exact)
        XCTAssertEqual(try file.tensor("full"), exact)
        // Half keeps 11 significant bits, bfloat16 8: relative error at most 2^-11 and 2^-8.
        assertClose(try file.tensor("rounded").scalars, rounded.scalars, rtol: 1.0 / 2048, atol: 1e-7)
        assertClose(try file.tensor("brain").scalars, rounded.scalars, rtol: 1.0 / 256)
    }

    func testHalfPrecisionConversionsRoundToNearestEven() {
        XCTAssertEqual(HalfPrecision.f16(from: 1), 0x3C00)
        XCTAssertEqual(HalfPrecision.f16(from: -2), 0xC000)
        XCTAssertEqual(HalfPrecision.f16(from: 65504), 0x7BFF)
        XCTAssertEqual(HalfPrecision.f16(from: 1e5), 0x7C00, "overflow becomes infinity")
        XCTAssertEqual(HalfPrecision.f16(from: 0x1p-24), 0x0001, "smallest subnormal")
        XCTAssertEqual(HalfPrecision.f16(from: 1 + 0x1p-11), 0x3C00, "tie rounds to even (down)")
        XCTAssertEqual(HalfPrecision.f16(from: 1 + 3 * 0x1p-11), 0x3C02, "tie rounds to even (up)")
        XCTAssertEqual(HalfPrecision.float(fromF16: 0x3555), 0.333251953125)
        XCTAssertTrue(HalfPrecision.float(fromF16: HalfPrecision.f16(from: .nan)).isNaN)
        XCTAssertEqual(HalfPrecision.bf16(from: 1), 0x3F80)
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F80_8000)), 0x3F80, "tie rounds to even (down)")
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F81_8000)), 0x3F82, "tie rounds to even (up)")
        XCTAssertEqual(HalfPrecision.bf16(from: Float(bitPattern: 0x3F80_8001)), 0x3F81)
        XCTAssertTrue(HalfPrecision.float(fromBF16: HalfPrecision.bf16(from: .nan)).isNaN)
        XCTAssertEqual(HalfPrecision.float(fromBF16: 0xC0A0), -5)
    }

    // MARK: the reference layout

    func testWriterProducesTheReferenceImplementationsBytes() throws {
        // safetensors' own serialization test: one F32 tensor "attn.0" of shape [1, 2, 3] holding
        // 0...5 gives a 64-byte header (no padding needed) followed by the floats.
        let values: [Float] = [0, 1, 2, 3, 4, 5]
        let header = #"{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}"#
        XCTAssertEqual(header.utf8.count, 64)
        let expected = file(header: header, data: littleEndian(values))
        let written = SafetensorsWriter.serialize([.init(name: "attn.0", tensor: Tensor(shape: [1, 2, 3], scalars: values))])
        XCTAssertEqual(written, expected)
        XCTAssertEqual(Array(written.prefix(8)), [64, 0, 0, 0, 0, 0, 0, 0])

        // A shorter name misaligns the JSON (66 bytes): padded with spaces to 72.
        let padded = #"{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}"# + String(repeating: " ", count: 7)
        XCTAssertEqual(SafetensorsWriter.serialize([.init(name: "attn0", tensor: Tensor(shape: [1, 1, 2, 3], scalars: values))]),
                       file(header: padded, data: littleEndian(values)))

        // No tensors: "{}" and six spaces; metadata comes first in the object.
        XCTAssertEqual(SafetensorsWriter.serialize([]), [8, 0, 0, 0, 0, 0, 0, 0] + Array("{}      ".utf8))
        XCTAssertEqual(SafetensorsWriter.serialize([], metadata: ["framework": "pt"]),
                       file(header: #"{"__metadata__":{"framework":"pt"}}"# + "     "))

        // Several tensors and dtypes: F32 before F16, names in byte order, offsets back to back,
        // metadata keys sorted.
        let a = Tensor(shape: [2], scalars: [1.5, -2]), b = Tensor(shape: [1, 1], scalars: [3])
        let h = Tensor(shape: [3], scalars: [0.5, 1, -1])
        let mixed = #"{"__metadata__":{"a":"1","b":"2"},"B":{"dtype":"F32","shape":[1,1],"data_offsets":[0,4]},"#
            + #""a.weight":{"dtype":"F32","shape":[2],"data_offsets":[4,12]},"#
            + #""half":{"dtype":"F16","shape":[3],"data_offsets":[12,18]}}"#
        let mixedPadded = mixed + String(repeating: " ", count: (8 - mixed.utf8.count % 8) % 8)
        let expectedMixed = file(header: mixedPadded, data: littleEndian([3, 1.5, -2]) + littleEndian16([0x3800, 0x3C00, 0xBC00]))
        let writtenMixed = SafetensorsWriter.serialize([
            .init(name: "half", tensor: h, dtype: .f16), .init(name: "a.weight", tensor: a), .init(name: "B", tensor: b),
        ], metadata: ["b": "2", "a": "1"])
        XCTAssertEqual(writtenMixed, expectedMixed)
        XCTAssertEqual(String(decoding: writtenMixed[8..<8 + mixedPadded.utf8.count], as: UTF8.self), mixedPadded)
    }

    func testReaderReadsAHandBuiltFileInAnyKeyOrder() throws {
        // Tensors listed out of offset order (older writers), BF16 and I64 data, metadata last.
        let header = #"{"z":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},"#
            + #""counts":{"dtype":"I64","shape":[1],"data_offsets":[16,24]},"#
            + #""bf":{"dtype":"BF16","shape":[2,2],"data_offsets":[0,8]},"__metadata__":{"format":"pt"}}"#
        let data = littleEndian16([0x3F80, 0xC000, 0x4040, 0x0000]) + littleEndian([0.25, -8]) + [7, 0, 0, 0, 0, 0, 0, 0]
        let scratch = try ScratchDirectory()
        let path = try scratch.write("hand.safetensors", file(header: header, data: data))
        let opened = try SafetensorsFile(path: path)
        XCTAssertEqual(opened.metadata, ["format": "pt"])
        XCTAssertEqual(opened.names, ["bf", "counts", "z"])
        XCTAssertEqual(opened.entries.map(\.name), ["bf", "z", "counts"], "entries in data order")
        XCTAssertEqual(try opened.tensor("bf"), Tensor(shape: [2, 2], scalars: [1, -2, 3, 0]))
        XCTAssertEqual(try opened.tensor("z"), Tensor(shape: [2], scalars: [0.25, -8]))
        XCTAssertEqual(try opened.tensor("counts"), Tensor(shape: [1], scalars: [7]))
        XCTAssertEqual(opened.rawBytes("counts").map(Array.init), [7, 0, 0, 0, 0, 0, 0, 0])
        XCTAssertThrowsError(try opened.tensor("nope")) { error in
            XCTAssertEqual((error as? ModelFileError)?.problem, .tensorNotFound(name: "nope"))
        }
    }

    // MARK: bad input

    func testBadFilesGiveOneLineErrorsNamingTheFile() throws {
        let good = SafetensorsWriter.serialize([.init(name: "w", tensor: Tensor(shape: [2, 2], scalars: [1, 2, 3, 4]))])
        let tensor = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        let sixteen = littleEndian([1, 2, 3, 4])

        XCTAssertEqual(try readError([1, 0, 0]).problem, .tooShort(fileSize: 3))
        XCTAssertEqual(try readError([]).problem, .tooShort(fileSize: 0))
        // Truncated inside the data: the tensor runs past the end.
        let truncated = try readError(Array(good.dropLast(5)))
        XCTAssertEqual(truncated.problem, .offsetsOutsideBuffer(tensor: "w", begin: 0, end: 16, bufferSize: 11))
        XCTAssertTrue(truncated.reason.contains("truncated"), truncated.reason)
        // Truncated inside the header.
        XCTAssertEqual(try readError(Array(good.prefix(20))).problem, .headerBeyondFile(declared: 64, fileSize: 20))
        // A header length beyond the file, and beyond the 100 MB limit.
        XCTAssertEqual(try readError([200, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8)).problem,
                       .headerBeyondFile(declared: 200, fileSize: 10))
        XCTAssertEqual(try readError([0, 0, 0, 0, 0, 0, 0, 0x80] + Array("{}".utf8)).problem,
                       .headerTooLarge(declared: 0x8000_0000_0000_0000))
        XCTAssertEqual(try readError([0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0]).problem, .headerTooLarge(declared: 100_000_001))

        // Not JSON, not an object, not UTF-8.
        guard case .headerNotJSON = try readError(file(header: #"{"w":{"dtype":"F32",}"#)).problem else { return XCTFail("invalid JSON") }
        guard case .headerNotJSON = try readError(file(header: "[1, 2]")).problem else { return XCTFail("array header") }
        let notUTF8 = file(header: #"{"xx":1}"#).enumerated().map { $0.offset == 10 ? 0xFF : $0.element }
        XCTAssertEqual(try readError(notUTF8).problem, .headerNotUTF8)

        // Valid JSON, wrong structure.
        guard case .headerInvalid(let missingShape) = try readError(file(header: #"{"w":{"dtype":"F32","data_offsets":[0,0]}}"#)).problem
        else { return XCTFail("missing shape") }
        XCTAssertTrue(missingShape.contains("w") && missingShape.contains("shape"), missingShape)
        guard case .headerInvalid(let badMetadata) = try readError(file(header: #"{"__metadata__":{"epochs":5}}"#)).problem
        else { return XCTFail("non-string metadata") }
        XCTAssertTrue(badMetadata.contains("__metadata__") && badMetadata.contains("\"epochs\""), badMetadata)
        guard case .headerInvalid = try readError(file(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#)).problem
        else { return XCTFail("negative dimension") }
        guard case .headerInvalid = try readError(file(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#, data: [0, 0, 0, 0])).problem
        else { return XCTFail("one offset") }
        guard case .headerInvalid = try readError(file(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#, data: [0, 0, 0, 0])).problem
        else { return XCTFail("fractional dimension") }

        // Unknown dtype.
        let unknown = try readError(file(header: tensor.replacingOccurrences(of: "F32", with: "Q7"), data: sixteen))
        XCTAssertEqual(unknown.problem, .unknownDType(tensor: "w", dtype: "Q7"))
        XCTAssertTrue(unknown.reason.contains("F32"), "lists the known dtypes: \(unknown.reason)")

        // Shape x dtype disagrees with the offsets.
        XCTAssertEqual(try readError(file(header: tensor.replacingOccurrences(of: "[2,2]", with: "[2,3]"), data: sixteen)).problem,
                       .sizeMismatch(tensor: "w", dtype: .f32, shape: [2, 3], byteCount: 16))
        XCTAssertEqual(try readError(file(header: tensor.replacingOccurrences(of: "F32", with: "F16"), data: sixteen)).problem,
                       .sizeMismatch(tensor: "w", dtype: .f16, shape: [2, 2], byteCount: 16))
        XCTAssertEqual(try readError(file(header: #"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, data: sixteen)).problem,
                       .sizeMismatch(tensor: "w", dtype: .f32, shape: [4_611_686_018_427_387_904, 4], byteCount: 16))

        // Offsets outside the buffer, reversed, overlapping, leaving a gap, not covering the end.
        XCTAssertEqual(try readError(file(header: tensor.replacingOccurrences(of: "[0,16]", with: "[8,24]"), data: sixteen)).problem,
                       .offsetsOutsideBuffer(tensor: "w", begin: 8, end: 24, bufferSize: 16))
        XCTAssertEqual(try readError(file(header: tensor.replacingOccurrences(of: "[0,16]", with: "[16,0]"), data: sixteen)).problem,
                       .offsetsOutsideBuffer(tensor: "w", begin: 16, end: 0, bufferSize: 16))
        let two = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        XCTAssertEqual(try readError(file(header: two, data: sixteen)).problem, .overlap(tensor: "b", previous: "a"))
        let gap = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        XCTAssertEqual(try readError(file(header: gap, data: sixteen)).problem, .gap(before: "b", begin: 4, end: 8))
        XCTAssertEqual(try readError(good + [0, 0, 0, 0]).problem, .trailingBytes(count: 4))
        XCTAssertEqual(try readError(file(header: "{}", data: [1])).problem, .trailingBytes(count: 1))
    }

    func testMissingFileAndDirectoryAreUnreadable() throws {
        let scratch = try ScratchDirectory()
        for path in [scratch.path + "/absent.safetensors", scratch.path] {
            XCTAssertThrowsError(try ModelFile.load(path)) { error in
                guard let error = error as? ModelFileError, case .unreadable = error.problem else { return XCTFail("\(error)") }
                XCTAssertTrue(error.localizedDescription.hasPrefix(path + ": cannot read model file: "), error.localizedDescription)
            }
        }
    }

    // MARK: loading into a model

    func testLoadingIntoAModelReplacesEveryParameterAndBuffer() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/linear.safetensors"
        var generator = SeededGenerator(seed: 7)
        let trained = Linear(inFeatures: 5, outFeatures: 3, generator: &generator)
        try ModelFile.save(stateDict: trained.stateDict + [("num_batches_tracked", Tensor(shape: [], scalars: [3]))], to: path)
        var fresh = Linear(inFeatures: 5, outFeatures: 3, generator: &generator)
        XCTAssertNotEqual(fresh.parameter("weight"), trained.parameter("weight"))
        try ModelFile.load(path, into: &fresh)
        XCTAssertEqual(fresh.parameter("weight"), trained.parameter("weight"))
        XCTAssertEqual(fresh.parameter("bias"), trained.parameter("bias"))
        XCTAssertEqual(ModelFingerprint.sha256(of: fresh), ModelFingerprint.sha256(of: trained))

        var withBuffers = NamedTensors(parameters: [("w", [2])], buffers: [("bn.running_mean", [2])])
        try ModelFile.save(stateDict: [("w", Tensor(shape: [2], scalars: [1, 2])), ("bn.running_mean", Tensor(shape: [2], scalars: [3, 4]))],
                           to: path, dtype: .f16)
        try ModelFile.load(path, into: &withBuffers)
        XCTAssertEqual(withBuffers.values, [Tensor(shape: [2], scalars: [1, 2])])
        XCTAssertEqual(withBuffers.bufferValues, [Tensor(shape: [2], scalars: [3, 4])])
    }

    func testMismatchReportListsEveryProblemOneLineEach() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/other.safetensors"
        var model = NamedTensors(parameters: [("conv1.weight", [64, 3, 3, 3]), ("conv1.bias", [64]), ("fc.weight", [10, 64]),
                                              ("fc.bias", [10])],
                                 buffers: [("bn.running_mean", [64])])
        let before = model
        // fc.weight stored as I64 by hand: the writer only makes floats.
        let header = #"{"bn.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]},"#
            + #""bn.running_mean":{"dtype":"F32","shape":[64],"data_offsets":[8,264]},"#
            + #""conv1.weight":{"dtype":"F32","shape":[32,3,3,3],"data_offsets":[264,3720]},"#
            + #""extra.weight":{"dtype":"F32","shape":[2],"data_offsets":[3720,3728]},"#
            + #""fc.bias":{"dtype":"F32","shape":[10],"data_offsets":[3728,3768]},"#
            + #""fc.weight":{"dtype":"I64","shape":[10,32],"data_offsets":[3768,6328]}}"#
        try scratch.write("other.safetensors", file(header: header, data: [UInt8](repeating: 0, count: 6328)))
        XCTAssertThrowsError(try ModelFile.load(path, into: &model)) { error in
            guard let error = error as? ModelFileError, case .modelMismatch(let problems) = error.problem else { return XCTFail("\(error)") }
            XCTAssertEqual(problems, [
                "conv1.weight: file has [32, 3, 3, 3], model expects [64, 3, 3, 3]",
                "conv1.bias: missing from the file (model expects [64])",
                "fc.weight: file has dtype I64, model expects floating point (F32, F16, BF16 or F64)",
                "fc.weight: file has [10, 32], model expects [10, 64]",
                "extra.weight: unexpected, the model has no such tensor (file has [2] F32)",
            ])
            let message = error.localizedDescription
            XCTAssertTrue(message.hasPrefix(path + ": does not match the model (5 problems):\n  conv1.weight: file has"), message)
            XCTAssertEqual(message.split(separator: "\n").count, 6)
        }
        XCTAssertEqual(model.values, before.values, "nothing loaded when anything is wrong")
        // Without the default filter, PyTorch's batch counter is reported too.
        let opened = try SafetensorsFile(path: path)
        XCTAssertTrue(ModelFile.mismatches(opened, expected: [], ignoring: { _ in false }).contains {
            $0.hasPrefix("bn.num_batches_tracked: unexpected")
        })
    }

    // MARK: atomic writes

    func testAFailedWriteLeavesTheOldFileIntact() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/model.safetensors"
        let old: [(name: String, value: Tensor)] = [("w", Tensor(shape: [2], scalars: [1, 2]))]
        try ModelFile.save(stateDict: old, metadata: ["v": "1"], to: path)
        let oldBytes = try Data(contentsOf: URL(fileURLWithPath: path))

        // A file-size limit below the new file's size makes write(2) fail part-way (EFBIG).
        let big: [(name: String, value: Tensor)] = [("w", Tensor(shape: [64, 1024], repeating: 1))]
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved), 0)
        signal(SIGXFSZ, SIG_IGN)
        var limited = saved
        limited.rlim_cur = 64 * 1024
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limited), 0)
        let result = Result<Void, any Error> { try ModelFile.save(stateDict: big, to: path) }
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        signal(SIGXFSZ, SIG_DFL)

        guard case .failure(let error as ModelFileError) = result, case .unwritable = error.problem else {
            return XCTFail("expected an unwritable error, got \(result)")
        }
        XCTAssertTrue(error.localizedDescription.hasPrefix(path + ": cannot write model file: "), error.localizedDescription)
        XCTAssertTrue(error.localizedDescription.contains("too large"), "write(2) failed with EFBIG: \(error.localizedDescription)")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), oldBytes, "old file unchanged")
        XCTAssertEqual(try ModelFile.load(path).metadata, ["v": "1"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.path), ["model.safetensors"], "no temporary file left")

        // A folder that does not exist: the error names the file.
        XCTAssertThrowsError(try ModelFile.save(stateDict: old, to: scratch.path + "/no/such/dir/m.safetensors")) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix(scratch.path + "/no/such/dir/m.safetensors: cannot write"))
        }
    }

    // MARK: SHA-256 and fingerprints

    func testSHA256KnownAnswers() {
        let vectors: [(String, String)] = [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
             "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
            ("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
             "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"),
        ]
        for (message, digest) in vectors {
            XCTAssertEqual(SHA256.hex(SHA256.hash(Array(message.utf8))), digest, message)
        }
        XCTAssertEqual(SHA256.hex(SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000))),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Streaming in uneven pieces gives the one-shot digest (hashlib.sha256(bytes(range(256)) * 3)).
        let bytes = (0..<3).flatMap { _ in (0...255).map(UInt8.init) }
        var hasher = SHA256()
        var offset = 0
        for size in [1, 63, 64, 65, 0, 3, 200, 100] {
            let end = min(bytes.count, offset + size)
            hasher.update(Array(bytes[offset..<end]))
            offset = end
        }
        hasher.update(Array(bytes[offset...]))
        XCTAssertEqual(SHA256.hex(hasher.finalize()), "f3a25aa93aa2fbba28d79260535bbd6a5eb0fc1c24a8b0f04e12b484c1dfe363")
    }

    func testFingerprintFollowsItsDocumentedStream() throws {
        // Computed with Python's hashlib over the stream ModelFingerprint documents.
        let tensors: [(name: String, value: Tensor)] = [
            ("b", Tensor(shape: [2], scalars: [1, -2.5])), ("a.weight", Tensor(shape: [1, 2], scalars: [0.5, 3])),
            ("s", Tensor(shape: [], scalars: [7])),
        ]
        let expected = "9e35ff16d56dac6ac2653169e10bcd72022ecf29c0dbb037a1100602945de1c7"
        XCTAssertEqual(ModelFingerprint.sha256(of: tensors), expected)
        XCTAssertEqual(ModelFingerprint.sha256(of: Array(tensors.reversed())), expected, "order does not matter")

        let scratch = try ScratchDirectory()
        let path = scratch.path + "/m.safetensors"
        try ModelFile.save(stateDict: tensors, metadata: ["anything": "else"], to: path)
        XCTAssertEqual(ModelFingerprint.sha256(of: try ModelFile.load(path).tensors), expected, "metadata does not matter")

        var changed = tensors
        changed[0].value[flat: 1] = -2.4999998
        XCTAssertNotEqual(ModelFingerprint.sha256(of: changed), expected)
        XCTAssertNotEqual(ModelFingerprint.sha256(of: [("b", Tensor(shape: [2, 1], scalars: [1, -2.5])), tensors[1], tensors[2]]), expected,
                          "shape matters")
    }

    // MARK: metadata

    private func sampleMetadata() -> ModelMetadata {
        ModelMetadata(arch: "dath", bits: 48, inputSize: .init(height: 32, width: 32), normalization: .imageNet,
                      classNames: ["airplane", "automobile", "bird, \"tweety\""],
                      provenance: .init(dataset: "cifar10:/data/cifar", evaluationProtocol: "cifar10-full", epochs: 60,
                                        seed: 18_446_744_073_709_551_615, wallTimeSeconds: 3541.25,
                                        meanAveragePrecision: 0.8612, notes: "hashscope train --arch dath"))
    }

    func testModelMetadataRoundTripsThroughTheFile() throws {
        let scratch = try ScratchDirectory()
        let path = scratch.path + "/m.safetensors"
        var generator = SeededGenerator(seed: 9)
        let model = Linear(inFeatures: 4, outFeatures: 2, generator: &generator)
        let metadata = sampleMetadata()
        try ModelFile.save(model, metadata: metadata, to: path)
        let strings = try ModelFile.load(path).metadata
        XCTAssertEqual(try ModelMetadata.decode(strings, path: path), metadata)
        // Flat keys for people.
        XCTAssertEqual(strings["format"], "pt")
        XCTAssertEqual(strings["arch"], "dath")
        XCTAssertEqual(strings["bits"], "48")
        XCTAssertEqual(strings["input_size"], "3x32x32")
        XCTAssertEqual(strings["protocol"], "cifar10-full")
        XCTAssertEqual(strings["seed"], "18446744073709551615")
        XCTAssertEqual(strings["map"], "0.8612")
        XCTAssertTrue(strings["hashscope"]?.contains(#""class_names":["airplane","automobile","bird, \"tweety\""]"#) ?? false,
                      strings["hashscope"] ?? "")

        let lite = ModelMetadata(arch: "efficientnet-lite0", bits: 64, inputSize: .init(height: 224, width: 224),
                                 normalization: .efficientNetLite, classNames: [])
        XCTAssertEqual(try ModelMetadata.decode(lite.strings, path: path), lite)
        XCTAssertEqual(lite.strings["normalization"], "(x-127.0)/128.0")
        XCTAssertNil(try ModelMetadata.decode(["format": "pt"], path: path), "a file from elsewhere has none")
    }

    func testBadModelMetadataIsAnErrorNamingTheFile() throws {
        func problem(_ json: String) -> String? {
            do {
                _ = try ModelMetadata.decode(["hashscope": json], path: "m.safetensors")
                return nil
            } catch {
                XCTAssertTrue(error.localizedDescription.hasPrefix("m.safetensors: invalid model metadata: "), error.localizedDescription)
                guard case .metadataInvalid(let detail) = error.problem else { return nil }
                return detail
            }
        }
        var metadata = sampleMetadata()
        let good = metadata.strings["hashscope"] ?? ""
        XCTAssertNotNil(problem("{not json"))
        XCTAssertTrue(problem(good.replacingOccurrences(of: #""bits":48"#, with: #""bits":"48""#))?.contains("bits") ?? false)
        XCTAssertTrue(problem(good.replacingOccurrences(of: #""arch":"dath","#, with: ""))?.contains("arch") ?? false)
        XCTAssertTrue(problem(good.replacingOccurrences(of: "mean_std", with: "zscore"))?.contains("zscore") ?? false)
        metadata.version = ModelMetadata.currentVersion + 1
        XCTAssertTrue(problem(metadata.strings["hashscope"] ?? "")?.contains("newer") ?? false)
        metadata = sampleMetadata()
        metadata.backbone = "resnet-50"
        XCTAssertTrue(problem(metadata.strings["hashscope"] ?? "")?.contains("unknown backbone 'resnet-50'") ?? false)
        metadata = sampleMetadata()
        metadata.normalization = .meanStd(mean: [0.5], std: [0.5])
        XCTAssertTrue(problem(metadata.strings["hashscope"] ?? "")?.contains("3 channels") ?? false)
        metadata.normalization = .affine(offset: 127, scale: 0)
        XCTAssertNotNil(problem(metadata.strings["hashscope"] ?? ""))
        metadata = sampleMetadata()
        metadata.bits = 0
        XCTAssertNotNil(problem(metadata.strings["hashscope"] ?? ""))
        // A head's cut: only with a backbone, and within what that backbone has.
        metadata = sampleMetadata()
        metadata.backboneFineTunedBlocks = 5
        XCTAssertEqual(problem(metadata.strings["hashscope"] ?? ""), "backbone_fine_tuned_blocks without a backbone")
        metadata.backbone = "efficientnet-lite0"
        XCTAssertNil(problem(metadata.strings["hashscope"] ?? ""))
        metadata.backboneFineTunedBlocks = 16
        XCTAssertEqual(problem(metadata.strings["hashscope"] ?? ""), "backbone_fine_tuned_blocks 16 is outside 1...15 for efficientnet-lite0")
        metadata.backbone = "resnet50"
        metadata.backboneFineTunedBlocks = 2
        XCTAssertEqual(problem(metadata.strings["hashscope"] ?? ""), "backbone_fine_tuned_blocks 2 is outside 1...1 for resnet50")
    }

    func testNormalizationScaleAndBias() {
        // (x/255 - mean)/std and (x - 127)/128 as one multiply-add.
        let imageNet = ModelMetadata.Normalization.imageNet.scaleAndBias(channel: 1)
        assertClose(200 * imageNet.scale + imageNet.bias, (200.0 / 255 - 0.456) / 0.224, rtol: 1e-6)
        let lite = ModelMetadata.Normalization.efficientNetLite.scaleAndBias(channel: 2)
        XCTAssertEqual(255 * lite.scale + lite.bias, 1)
        XCTAssertEqual(127 * lite.scale + lite.bias, 0)
    }
}
