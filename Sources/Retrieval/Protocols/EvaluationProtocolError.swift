import Foundation

/// Why a protocol cannot be used: an unknown `--protocol` name, or a gallery the protocol does
/// not fit. One line, naming the protocol and the gallery, as the user typed them.
public enum EvaluationProtocolError: Error, LocalizedError, Sendable, Equatable {
    /// `--protocol NAME` with a name no protocol has.
    case unknownName(String)
    /// The gallery lacks something the protocol needs: "`name` needs `needs`; `gallery` `has`".
    case galleryDoesNotFit(protocolName: String, gallery: String, needs: String, has: String)

    public var errorDescription: String? {
        switch self {
        case .unknownName(let name):
            let known = EvaluationProtocol.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown protocol '\(name)': expected one of \(known)"
        case .galleryDoesNotFit(let protocolName, let gallery, let needs, let has):
            return "\(protocolName) needs \(needs); \(gallery) \(has)"
        }
    }
}
