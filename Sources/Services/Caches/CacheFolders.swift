import Foundation

/// Where hashscope keeps what it can recompute: $XDG_CACHE_HOME/hashscope (or
/// ~/.cache/hashscope), with encoded codes in `codes/` and backbone trunk features in `features/`.
public enum CacheFolders {
    public static var root: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.cache"
        return base + "/hashscope"
    }

    public static var codes: String { root + "/codes" }
    public static var features: String { root + "/features" }

    /// The features folder beside a codes folder (…/hashscope/codes -> …/hashscope/features).
    public static func features(besideCodes codes: String) -> String {
        URL(fileURLWithPath: codes).deletingLastPathComponent().appendingPathComponent("features").path
    }
}
