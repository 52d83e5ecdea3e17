import Interchange
import Foundation
import Basics

/// One CIFAR-10 batch file as opened: its labels, and where each record's 3072 planar
/// pixel bytes are, so they can be read one record at a time.
struct CIFAR10Batch: Sendable {
    enum Pixels: Sendable {
        /// Record i's pixels start at `first + i * stride` in the file.
        case file(first: Int, stride: Int)
        /// Pixels that are not a plain slice of the file (a Python 3 protocol-2 pickle keeps
        /// them as latin-1 text), decoded once at open.
        case memory([UInt8])
    }

    let path: String
    /// The file name without `.bin`: the first part of item ids (`data_batch_3/1234`).
    let stem: String
    let split: Split
    let labels: [Int]
    let pixels: Pixels

    func image(record: Int) throws(ImageError) -> RGBImage {
        let size = CIFAR10Layout.pixelBytes
        let source = "\(path) record \(record)"
        switch pixels {
        case .file(let first, let stride):
            let bytes: [UInt8]
            do { bytes = try FileBytes.read(path, offset: first + record * stride, count: size) } catch {
                throw ImageError(source: source, problem: .unreadable(error.reason))
            }
            guard bytes.count == size else {
                throw ImageError(source: source, problem: .truncated("the file ends after \(bytes.count) of its \(size) pixel bytes"))
            }
            return RGBImage(width: CIFAR10Layout.side, height: CIFAR10Layout.side, planar: bytes)
        case .memory(let bytes):
            let start = record * size
            return RGBImage(width: CIFAR10Layout.side, height: CIFAR10Layout.side, planar: bytes[start..<start + size])
        }
    }
}

/// What is wrong with one batch file; the gallery reports it and opens the rest.
struct CIFAR10BatchProblem: Error {
    let message: String
}

/// The two on-disk forms of CIFAR-10 (https://www.cs.toronto.edu/~kriz/cifar.html).
enum CIFAR10Layout {
    static let side = 32
    static let pixelBytes = 3072               // 1024 R, 1024 G, 1024 B, each row-major 32x32
    static let recordBytes = 1 + pixelBytes    // binary: a label byte, then the pixels
    static let batchStems = (1...5).map { "data_batch_\($0)" } + ["test_batch"]
    static let standardClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                     "dog", "frog", "horse", "ship", "truck"]

    enum Format { case binary, python }

    static func split(of stem: String) -> Split { stem == "test_batch" ? .test : .train }

    /// The file a batch stem names in `format`.
    static func fileName(_ stem: String, _ format: Format) -> String { format == .binary ? stem + ".bin" : stem }

    // MARK: - Binary: data_batch_N.bin

    static func readBinary(path: String, stem: String, classCount: Int) throws(CIFAR10BatchProblem) -> CIFAR10Batch {
        let size: Int
        do { size = try FileBytes.size(path) } catch { throw CIFAR10BatchProblem(message: "cannot read file: \(error.reason)") }
        guard size > 0 else { throw CIFAR10BatchProblem(message: "empty file (0 bytes)") }
        guard size % recordBytes == 0 else {
            throw CIFAR10BatchProblem(message: "length \(size) bytes is not a multiple of \(recordBytes) (a record is 1 label byte + 3072 pixel bytes): \(size / recordBytes) whole records and \(size % recordBytes) bytes over")
        }
        let count = size / recordBytes
        var labels: [Int] = []
        labels.reserveCapacity(count)
        // Read in chunks of records: only the label bytes are kept.
        let chunkRecords = 1024
        var record = 0
        while record < count {
            let n = min(chunkRecords, count - record)
            let chunk: [UInt8]
            do { chunk = try FileBytes.read(path, offset: record * recordBytes, count: n * recordBytes) } catch {
                throw CIFAR10BatchProblem(message: "cannot read file: \(error.reason)")
            }
            guard chunk.count == n * recordBytes else {
                throw CIFAR10BatchProblem(message: "the file shrank to \(record * recordBytes + chunk.count) bytes while being read")
            }
            for k in 0..<n { labels.append(Int(chunk[k * recordBytes])) }
            record += n
        }
        try checkLabels(labels, classCount: classCount)
        return CIFAR10Batch(path: path, stem: stem, split: split(of: stem), labels: labels,
                            pixels: .file(first: 1, stride: recordBytes))
    }

    /// batches.meta.txt: one class name per line (the real file ends with blank lines).
    static func readBinaryMeta(path: String) throws(CIFAR10BatchProblem) -> [String] {
        let bytes: [UInt8]
        do { bytes = try FileBytes.read(path) } catch { throw CIFAR10BatchProblem(message: "cannot read file: \(error.reason)") }
        let names = String(decoding: bytes, as: UTF8.self)
            .split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !names.isEmpty else { throw CIFAR10BatchProblem(message: "lists no class names") }
        return names
    }

    // MARK: - Python: cifar-10-batches-py

    static func readPython(path: String, stem: String, classCount: Int) throws(CIFAR10BatchProblem) -> CIFAR10Batch {
        let root = try loadPickle(path)
        guard case .dict(let entries) = root else {
            throw CIFAR10BatchProblem(message: "not a CIFAR-10 batch: the pickle holds a \(root.kindDescription), not a dict with 'data' and 'labels'")
        }
        guard let dataValue = root["data"], let labelsValue = root["labels"] else {
            let keys = entries.prefix(8).map { $0.key.text.map { "'\($0)'" } ?? $0.key.kindDescription }.joined(separator: ", ")
            throw CIFAR10BatchProblem(message: "not a CIFAR-10 batch: the dict has no 'data' and 'labels' (its keys: \(keys.isEmpty ? "none" : keys))")
        }
        let array: NumpyArray
        do { array = try NumpyArray(dataValue, source: path) } catch { throw CIFAR10BatchProblem(message: "'data': \(error.message)") }
        guard array.shape.count == 2, array.shape[1] == pixelBytes, array.dtype.code == "u1",
              !array.fortranOrder || array.shape[0] <= 1 else {
            let order = array.fortranOrder ? " in Fortran order" : ""
            throw CIFAR10BatchProblem(message: "'data' is a \(array.dtype) array of shape \(array.shape)\(order), expected (N, 3072) uint8")
        }
        let labels = try pythonLabels(labelsValue, path: path)
        guard labels.count == array.shape[0] else {
            throw CIFAR10BatchProblem(message: "\(labels.count) labels for \(array.shape[0]) images")
        }
        try checkLabels(labels, classCount: classCount)
        let pixels: CIFAR10Batch.Pixels
        switch array.data {
        case .range(let offset, _): pixels = .file(first: offset, stride: pixelBytes)
        case .inline(let bytes): pixels = .memory(bytes)
        }
        return CIFAR10Batch(path: path, stem: stem, split: split(of: stem), labels: labels, pixels: pixels)
    }

    /// batches.meta: a dict whose 'label_names' lists the class names (bytes or str).
    static func readPythonMeta(path: String) throws(CIFAR10BatchProblem) -> [String] {
        let root = try loadPickle(path)
        guard let namesValue = root["label_names"], let items = namesValue.elements else {
            throw CIFAR10BatchProblem(message: "not a CIFAR-10 meta file: no 'label_names' list in a \(root.kindDescription)")
        }
        var names: [String] = []
        for item in items {
            guard let name = item.text else { throw CIFAR10BatchProblem(message: "'label_names' holds a \(item.kindDescription), not a name") }
            names.append(name)
        }
        guard !names.isEmpty else { throw CIFAR10BatchProblem(message: "'label_names' is empty") }
        return names
    }

    /// A list of ints, as CIFAR-10 has it; also a 1-D integer numpy array, as re-saved copies may.
    private static func pythonLabels(_ value: PickleValue, path: String) throws(CIFAR10BatchProblem) -> [Int] {
        if let labels = value.intList { return labels }
        guard let array = try? NumpyArray(value, source: path), array.shape.count == 1, array.dtype.isInteger else {
            throw CIFAR10BatchProblem(message: "'labels' is a \(value.kindDescription), not a list of ints")
        }
        let bytes: [UInt8]
        do { bytes = try Pickle.read(array.data, file: path) } catch { throw CIFAR10BatchProblem(message: "'labels': \(error.problemDescription)") }
        guard let labels = array.integers(from: bytes) else {
            throw CIFAR10BatchProblem(message: "'labels' is a \(array.dtype) array that does not hold class numbers")
        }
        return labels
    }

    private static func loadPickle(_ path: String) throws(CIFAR10BatchProblem) -> PickleValue {
        do { return try Pickle.load(file: path) } catch {
            if let offset = error.offset { throw CIFAR10BatchProblem(message: "byte \(offset): \(error.problemDescription)") }
            throw CIFAR10BatchProblem(message: error.problemDescription)
        }
    }

    private static func checkLabels(_ labels: [Int], classCount: Int) throws(CIFAR10BatchProblem) {
        if let index = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
            throw CIFAR10BatchProblem(message: "record \(index) has label \(labels[index]), outside the \(classCount) classes 0...\(classCount - 1)")
        }
    }
}
