import Foundation

/// One tensor as a safetensors header declares it.
public struct SafetensorsEntry: Sendable, Equatable {
    public let name: String
    public let dtype: SafetensorsDType
    public let shape: [Int]
    /// The tensor's bytes within the data buffer (which starts after the header).
    public let offsets: Range<Int>

    public init(name: String, dtype: SafetensorsDType, shape: [Int], offsets: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.offsets = offsets
    }

    public var elementCount: Int { shape.reduce(1, *) }
}

/// The JSON header of a safetensors file: the tensor table and the `__metadata__` strings.
///
/// Layout: an 8-byte little-endian length N, N bytes of JSON (padded with spaces to a multiple
/// of 8 so the data is aligned), then the data buffer. Parsing validates everything the
/// reference implementation does, and names the tensor at fault.
struct SafetensorsHeader {
    static let metadataKey = "__metadata__"
    static let maximumLength: UInt64 = 100_000_000

    /// Sorted by offset; the offsets tile [0, bufferSize) exactly.
    var entries: [SafetensorsEntry]
    var metadata: [String: String]

    // MARK: reading

    /// Parses and validates the header JSON against a data buffer of `bufferSize` bytes.
    static func parse(_ json: ArraySlice<UInt8>, bufferSize: Int, path: String) throws(ModelFileError) -> SafetensorsHeader {
        func fail(_ problem: ModelFileError.Problem) -> ModelFileError { ModelFileError(path: path, problem) }
        guard String(validating: json, as: UTF8.self) != nil else { throw fail(.headerNotUTF8) }
        guard json.first == UInt8(ascii: "{") else {
            throw fail(.headerNotJSON(detail: "it must be a JSON object starting with '{'"))
        }
        // JSONSerialization first: on Linux it says where the syntax breaks; JSONDecoder only
        // says "not valid JSON", for syntax and for a fractional shape alike.
        do { _ = try JSONSerialization.jsonObject(with: Data(json)) } catch {
            let reason = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            throw fail(.headerNotJSON(detail: reason ?? error.localizedDescription))
        }
        let raw: RawHeader
        do {
            raw = try JSONDecoder().decode(RawHeader.self, from: Data(json))
        } catch let error as DecodingError {
            throw fail(.headerInvalid(detail: describe(error)))
        } catch {
            throw fail(.headerNotJSON(detail: "\(error)"))
        }

        var entries: [SafetensorsEntry] = []
        entries.reserveCapacity(raw.tensors.count)
        for (name, entry) in raw.tensors {
            guard let dtype = SafetensorsDType(rawValue: entry.dtype) else {
                throw fail(.unknownDType(tensor: name, dtype: entry.dtype))
            }
            guard entry.shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(.headerInvalid(detail: "tensor \(name) has a negative dimension in shape \(entry.shape)"))
            }
            guard entry.data_offsets.count == 2, entry.data_offsets.allSatisfy({ $0 >= 0 }) else {
                throw fail(.headerInvalid(detail: "tensor \(name): data_offsets must be two non-negative integers, got \(entry.data_offsets)"))
            }
            let begin = entry.data_offsets[0], end = entry.data_offsets[1]
            guard begin <= end, end <= bufferSize else {
                throw fail(.offsetsOutsideBuffer(tensor: name, begin: begin, end: end, bufferSize: bufferSize))
            }
            entries.append(SafetensorsEntry(name: name, dtype: dtype, shape: entry.shape, offsets: begin..<end))
        }

        // Files from older writers may list tensors in any order; the bytes must still tile.
        entries.sort { ($0.offsets.lowerBound, $0.offsets.upperBound) < ($1.offsets.lowerBound, $1.offsets.upperBound) }
        var covered = 0
        var previous: String?
        for entry in entries {
            var bytes = entry.dtype.size, overflow = false
            for extent in entry.shape where !overflow {
                (bytes, overflow) = bytes.multipliedReportingOverflow(by: extent)
            }
            guard !overflow, bytes == entry.offsets.count else {
                throw fail(.sizeMismatch(tensor: entry.name, dtype: entry.dtype, shape: entry.shape, byteCount: entry.offsets.count))
            }
            if entry.offsets.lowerBound < covered, let previous {
                throw fail(.overlap(tensor: entry.name, previous: previous))
            }
            if entry.offsets.lowerBound > covered {
                throw fail(.gap(before: entry.name, begin: covered, end: entry.offsets.lowerBound))
            }
            covered = entry.offsets.upperBound
            previous = entry.name
        }
        if covered != bufferSize { throw fail(.trailingBytes(count: bufferSize - covered)) }
        return SafetensorsHeader(entries: entries, metadata: raw.metadata ?? [:])
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct RawEntry: Decodable {
        let dtype: String
        let shape: [Int]
        let data_offsets: [Int]
    }

    private struct RawHeader: Decodable {
        var tensors: [(String, RawEntry)] = []
        var metadata: [String: String]?

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            for key in container.allKeys {
                if key.stringValue == SafetensorsHeader.metadataKey {
                    metadata = try container.decode([String: String].self, forKey: key)
                } else {
                    tensors.append((key.stringValue, try container.decode(RawEntry.self, forKey: key)))
                }
            }
        }
    }

    /// A short description of a structural problem, naming where in the header it is.
    private static func describe(_ error: DecodingError) -> String {
        func location(_ path: [any CodingKey]) -> String {
            // The first key is a tensor name (dots and all), the rest fields: "fc.weight" shape[1].
            guard let first = path.first else { return "the header" }
            return "\"\(first.stringValue)\"" + path.dropFirst().map { key in key.intValue.map { "[\($0)]" } ?? " " + key.stringValue }.joined()
        }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // The syntax was checked already: this is a number no Int holds (1.5, 1e30).
            return "shapes and data_offsets must be whole numbers that fit in 64 bits"
        case .dataCorrupted(let context):
            return "\(location(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "\(location(context.codingPath)): missing \"\(key.stringValue)\""
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty { return "the header must be a JSON object" }
            if context.codingPath.first?.stringValue == metadataKey {
                return "\(metadataKey) must map strings to strings; \"\(context.codingPath.last?.stringValue ?? "")\" is not a string"
            }
            return "\(location(context.codingPath)): expected \(type == Int.self ? "an integer" : "\(type)")"
        case .valueNotFound(_, let context):
            return "\(location(context.codingPath)): missing value"
        @unknown default:
            return "\(error)"
        }
    }

    // MARK: writing

    /// The padded header JSON, byte-compatible with the reference writer (serde_json, compact):
    /// `__metadata__` first (its keys sorted here; the reference's order is a hash map's),
    /// then the tensors in data order, each as {"dtype", "shape", "data_offsets"}.
    func serialized() -> [UInt8] {
        var json = "{"
        var first = true
        func separator() { if !first { json += "," }; first = false }
        if !metadata.isEmpty {
            separator()
            json += Self.quoted(Self.metadataKey) + ":{"
            json += metadata.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
                .map { Self.quoted($0.key) + ":" + Self.quoted($0.value) }
                .joined(separator: ",")
            json += "}"
        }
        for entry in entries {
            separator()
            json += Self.quoted(entry.name)
            json += ":{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(entry.shape.map(String.init).joined(separator: ","))]"
            json += ",\"data_offsets\":[\(entry.offsets.lowerBound),\(entry.offsets.upperBound)]}"
        }
        json += "}"
        var bytes = Array(json.utf8)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - bytes.count % 8) % 8))
        return bytes
    }

    /// A JSON string literal escaped as serde_json escapes it (no `\/`, non-ASCII kept).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let s where s.value < 0x20:
                let hex = String(s.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
