import Foundation

/// Every `--json` output is a Codable report type: its schema is the type, which the tests decode.
/// Keys are sorted and slashes left unescaped, so output is stable and paths read as written.
protocol JSONReport: Codable {}

extension JSONReport {
    /// Pretty-printed JSON text. Reports hold only finite numbers, strings, booleans and
    /// containers of them, so encoding cannot fail.
    var jsonText: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return String(decoding: try encoder.encode(self), as: UTF8.self) } catch {
            preconditionFailure("a report failed to encode: \(error)")
        }
    }
}

/// An optional value written as JSON null when absent (Codable's synthesised encoding would leave
/// the key out): a report's keys are the same on every run.
@propertyWrapper
struct NullWhenAbsent<Value: Codable & Sendable>: Codable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) { self.wrappedValue = wrappedValue }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        wrappedValue = container.decodeNil() ? nil : try container.decode(Value.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}
