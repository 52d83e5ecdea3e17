/// The keys that need a network, and the one line each puts in the status line when the open
/// codes were made elsewhere (a codes folder has no model): the key changes nothing else.
enum NeedsNetwork: Hashable, Sendable {
    /// r R c b B f n x: the query is re-encoded after a bend.
    case bends
    /// o: an image file must be encoded to be a query.
    case imageFile
    /// h H: attention maps come from the network.
    case heatmap
    /// v: a second model's answer to the same query.
    case comparison
    /// M: another model.
    case modelSwitch
    /// s: a sweep bends the query step by step.
    case sweep

    var message: String {
        let what: String
        switch self {
        case .bends: what = "bends need a network"
        case .imageFile: what = "opening an image file needs a network to encode it"
        case .heatmap: what = "the attention heatmap needs a network"
        case .comparison: what = "v compares two models' answers and needs a network"
        case .modelSwitch: what = "M switches models and needs a network"
        case .sweep: what = "a sweep bends the query and needs a network"
        }
        return what + ": this folder has codes only"
    }

    /// The key's need, or nil for a key that works on codes alone.
    init?(key: Key) {
        switch key {
        case .character(let c):
            switch c {
            case "r", "R", "c", "b", "B", "f", "n", "x": self = .bends
            case "o": self = .imageFile
            case "h", "H": self = .heatmap
            case "v": self = .comparison
            case "M": self = .modelSwitch
            case "s": self = .sweep
            default: return nil
            }
        default: return nil
        }
    }
}
