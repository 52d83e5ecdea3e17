// swift-tools-version: 6.0
import PackageDescription

// POPCNT: Swift's default x86-64 target has no popcnt instruction, so `nonzeroBitCount`
// compiles to a bit-twiddling sequence and a Hamming scan runs ~3.7x slower (docs/ARCHITECTURE.md, Platform notes 10).
// Only the Retrieval target (the Hamming hot path) is built with it.
let popcnt: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mpopcnt"])]
let optimisedInDebug = SwiftSetting.unsafeFlags(["-O"], .when(configuration: .debug))

let package = Package(
    name: "hashscope",
    products: [
        .executable(name: "hashscope", targets: ["hashscope"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries (Debian -dev packages; scripts/setup installs them).
        .systemLibrary(name: "CNcursesw", pkgConfig: "ncursesw",
                       providers: [.apt(["libncursesw5-dev"])]),
        .systemLibrary(name: "COpenBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CChafa", pkgConfig: "chafa",
                       providers: [.apt(["libchafa-dev", "libglib2.0-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),
        // C where C is required: libjpeg and libpng report errors by longjmp.
        .target(name: "CImageCodecs",
                cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
                linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),

        .target(name: "CCPUFeatures"),
        // Hamming kernels for AVX-512 VPOPCNTDQ CPUs, built for a newer CPU than x86-64;
        // Retrieval calls it only after CCPUFeatures says the CPU has it.
        .target(name: "HammingKernelsAVX512",
                swiftSettings: [.unsafeFlags(["-target-cpu", "icelake-server"])]),

        // Winograd tile transforms for CPUs with AVX2 and FMA, likewise built alone for a newer
        // CPU (haswell); Networks calls it only after CCPUFeatures says the CPU has them.
        .target(name: "WinogradKernelsAVX2",
                swiftSettings: [optimisedInDebug, .unsafeFlags(["-target-cpu", "haswell"])]),

        // The foundation every other target stands on: images, their decoders and operations,
        // seeded randomness, mapped and atomic files, SHA-256, the parallel loop. No terminal.
        .target(name: "Basics", dependencies: ["CImageCodecs"], swiftSettings: [optimisedInDebug]),
        // Terminal rendering: cells from chafa, heatmaps, contact sheets, plots.
        .target(name: "Render", dependencies: ["Basics", "CChafa"]),
        // Files other tools write: Python pickles, PyTorch checkpoints (zip and legacy), numpy
        // .npy arrays, IDX files.
        .target(name: "Interchange", dependencies: ["Basics", "CZlib"]),
        .target(name: "Retrieval", dependencies: ["Basics", "Interchange", "CZlib", "COpenBLAS", "CCPUFeatures", "HammingKernelsAVX512"],
                swiftSettings: popcnt),
        // Optimised in debug builds too: the tests run real networks (EfficientNet-Lite0 on
        // Corel-1k among them), which unoptimised Swift loops make about 30x slower.
        .target(name: "Networks", dependencies: ["COpenBLAS", "Basics", "CCPUFeatures", "WinogradKernelsAVX2"],
                swiftSettings: [optimisedInDebug]),
        // What the commands and the explorer share: models loaded from files, galleries, one code
        // cache, the feature cache, the workspace (search and scoring), the training plan.
        .target(name: "Services", dependencies: ["Basics", "Interchange", "Render", "Retrieval", "Networks"]),
        // The screen only: state, events, update, views, one ncurses driver.
        .target(name: "TUI", dependencies: ["Basics", "Render", "Retrieval", "Networks", "Services", "CNcursesw"]),
        .executableTarget(name: "hashscope", dependencies: [
            "Basics", "Interchange", "Render", "Retrieval", "Networks", "Services", "TUI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Shared test helpers (paths to ../shared/datasets, scratch folders, test images).
        .target(name: "TestSupport", dependencies: ["Basics", "Interchange", "Networks"], path: "Tests/TestSupport"),
        .testTarget(name: "BasicsTests", dependencies: ["Basics", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "InterchangeTests", dependencies: ["Interchange", "Basics", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "RenderTests", dependencies: ["Render", "Basics", "TestSupport"]),
        .testTarget(name: "RetrievalTests", dependencies: ["Retrieval", "Interchange", "Basics", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "CommandTests", dependencies: ["hashscope", "Services", "Retrieval", "Interchange", "Networks", "TestSupport"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "Basics", "WinogradKernelsAVX2", "CCPUFeatures", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ServicesTests", dependencies: ["Services", "Basics", "Interchange", "Networks", "Retrieval", "TestSupport"]),
        .testTarget(name: "TUITests", dependencies: ["TUI", "Services", "Basics", "Render", "Retrieval", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
