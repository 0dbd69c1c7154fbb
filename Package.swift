// swift-tools-version: 6.0
// TNBench — a reproducible benchmark suite for machine learning with tensor networks.
//
// Dependencies point one way (see ../shared/DESIGN.md and README.md):
//   CBLAS/CHDF5/CZlib ← TensorCore ← TensorNetworks ← NeuralLayers ← Suites/* → Harness ← tnbench
//   Datasets depends on TensorCore only; the harness knows no tensor networks;
//   a suite knows no HDF5 or gnuplot.
import PackageDescription

/// The paper suites: one target each under `Suites/<Name>/`, registered in `tnbench`.
let suiteNames = [
    "StoudenmireMPS",
    "CopyNodeInit",
    "RankRegularization",
    "TNNClassification",
    "TNNRegression",
]

let suiteDependencies: [Target.Dependency] = [
    "TensorCore", "Optimization", "TensorNetworks", "NeuralLayers", "Datasets", "Harness",
]

/// Suites that share a paper share its code: RankRegularization trains with CopyNodeInit's
/// `MNISTTask` (Barratt, Dborin & Wright), so it depends on that suite's target.
let suiteSiblings: [String: [Target.Dependency]] = [
    "RankRegularization": ["CopyNodeInit"],
]

let package = Package(
    name: "TNBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tnbench", targets: ["tnbench"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "TensorNetworks", targets: ["TensorNetworks"]),
        .library(name: "Harness", targets: ["Harness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Native libraries, found through pkg-config.
        .systemLibrary(
            name: "CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev", "liblapacke-dev"])]),
        .systemLibrary(
            name: "CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),

        // Numerical core and models.
        .target(name: "TensorCore", dependencies: ["CBLAS"]),
        .target(name: "Optimization", dependencies: ["TensorCore"]),
        .target(name: "TensorNetworks", dependencies: ["TensorCore", "Optimization"]),
        .target(
            name: "NeuralLayers", dependencies: ["TensorCore", "Optimization", "TensorNetworks"]),
        .target(name: "Datasets", dependencies: ["TensorCore", "CZlib"]),

        // The benchmark's spine and its tool.
        .target(name: "Harness", dependencies: ["TensorCore", "CHDF5"]),
        .executableTarget(
            name: "tnbench",
            dependencies: [
                "Harness", "Datasets", "TensorCore", "TensorNetworks", "CBLAS",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + suiteNames.map { .target(name: $0) }),

        // Test support and tests: one target per source target, plus the suites end to end.
        .target(name: "_TestSupport", dependencies: ["TensorCore"], path: "Tests/_TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "_TestSupport"]),
        .testTarget(
            name: "TensorNetworksTests", dependencies: ["TensorNetworks", "_TestSupport"]),
        .testTarget(
            name: "NeuralLayersTests", dependencies: ["NeuralLayers", "_TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "_TestSupport"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "_TestSupport"]),
        .testTarget(
            name: "SuiteTests",
            dependencies: ["Harness", "Datasets", "_TestSupport"] + suiteNames.map { .target(name: $0) }),
    ]
        + suiteNames.map { name in
            .target(
                name: name, dependencies: suiteDependencies + suiteSiblings[name, default: []],
                path: "Suites/\(name)")
        }
)
