/// Every key the TUI takes, for the help overlay (and the README's table, which lists the same).
public enum KeyBindings {
    public static let all: [(keys: String, action: String)] = [
        ("g", "browse the gallery / back to the results"),
        ("arrows PgUp PgDn", "move in the gallery or among the neighbours"),
        ("Tab", "gallery: filter by the next class (then all)"),
        ("Enter / click", "make the highlighted image the query"),
        ("Backspace", "back to the previous query"),
        ("o", "open an image file as the query (Tab completes)"),
        ("r / R", "rotate the query +15 / -15 degrees"),
        ("c", "crop: 90%, 80%, 70%, none"),
        ("b / B", "brightness +0.1 / -0.1"),
        ("f", "flip horizontally"),
        ("n", "noise: sigma 8, 16, 32, none"),
        ("x", "reset every bend"),
        ("h", "attention heatmap of the query on / off"),
        ("H", "attention heatmaps of the neighbours on / off"),
        ("+ / -", "more / fewer neighbours (n)"),
        ("m", "search mode: exact Hamming, LSH, radius 2"),
        ("s", "sweep P@n over rotation, then crop, then off"),
        ("w", "save a contact sheet (JPEG) and JSON"),
        ("M", "switch model / gallery (v there: compare with it)"),
        ("v", "compare: a second model's results below, same query"),
        ("i", "code health: bit balance, correlation, ties, distances"),
        ("?", "this help"),
        ("q / Ctrl-C", "quit"),
    ]
}
