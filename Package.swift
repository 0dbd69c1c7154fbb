// swift-tools-version: 6.0
// TNBench — a reproducible benchmark suite for machine learning with tensor networks.
//
// Dependencies point one way (ARCHITECTURE.md has the table and where each concept lives):
//   TensorCore → CBLAS
//   Datasets → TensorCore, CZlib              Optimization → TensorCore
//   TensorNetworks → TensorCore, Datasets, Optimization
//   NeuralLayers → TensorCore, TensorNetworks, Optimization, CKernels
//   Harness → TensorCore, CHDF5, swift-crypto, Ink (knows no tensor networks)
//   Suites/<Name> → the libraries and Harness (no suite imports another; none knows HDF5 or gnuplot)
//   Suites/<Paper>Protocol → the libraries and Harness: what two suites of one paper share (not a suite)
//   tnbench → Harness, the suites, Datasets, TensorCore, Optimization, TensorNetworks, NeuralLayers, CBLAS, CKernels, ArgumentParser
import Foundation
import PackageDescription

/// The folder of this manifest (the repository root).
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path

/// The paper suites: one target each under `Suites/<Name>/`, registered in `tnbench`.
let suiteNames = [
    "StoudenmireMPS",
    "CopyNodeInit",
    "RankRegularization",
    "TNNClassification",
    "TNNRegression",
    "MPONet",
    "KnowledgeDistillation",
    "TN4ML",
]

let suiteDependencies: [Target.Dependency] = [
    "TensorCore", "Optimization", "TensorNetworks", "NeuralLayers", "Datasets", "Harness",
]

/// The code two suites of one paper share (its protocol: data, evaluation, native training),
/// since no suite imports another: one target each under `Suites/<Name>/`, depended on by those
/// suites only; not suites, not registered.
let sharedProtocols: [String: [String]] = [
    "BarrattProtocol": ["CopyNodeInit", "RankRegularization"],
    "TNNProtocol": ["TNNClassification", "TNNRegression"],
]

let package = Package(
    name: "TNBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "tnbench", targets: ["tnbench"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Optimization", targets: ["Optimization"]),
        .library(name: "TensorNetworks", targets: ["TensorNetworks"]),
        .library(name: "Harness", targets: ["Harness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        .package(url: "https://github.com/JohnSundell/Ink", from: "0.6.0"),
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
        // Loops Swift cannot vectorize (a square root is a libm call there; rows too short; convolutions); see its header.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-fno-math-errno"])]),
        .target(name: "TensorCore", dependencies: ["CBLAS"]),
        .target(name: "Optimization", dependencies: ["TensorCore", "CKernels"]),
        .target(name: "TensorNetworks", dependencies: ["TensorCore", "Datasets", "Optimization", "CKernels"]),
        .target(
            name: "NeuralLayers", dependencies: ["TensorCore", "Optimization", "TensorNetworks", "CKernels"]),
        .target(
            name: "Datasets",
            dependencies: [
                "TensorCore", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                // swift-subprocess speaks FileDescriptor/FilePath: swift-system's off Apple
                // platforms, the SDK's System framework on them.
                .product(name: "SystemPackage", package: "swift-system", condition: .when(platforms: [.linux])),
            ]),

        // The benchmark's spine and its tool.
        // Harness is stamped with the git commit at build time (Plugins/BuildInfo).
        // Crypto: the SHA-256 that seals every result file (Sources/Harness/Results/SealedFile.swift).
        // Ink: a report's Markdown as HTML in the static site (Sources/Harness/Site/).
        .target(
            name: "Harness",
            dependencies: [
                "TensorCore", "CHDF5", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Ink", package: "Ink"),
            ],
            plugins: ["BuildInfo"]),
        .plugin(name: "BuildInfo", capability: .buildTool(), path: "Plugins/BuildInfo"),
        .executableTarget(
            name: "tnbench",
            dependencies: [
                "Harness", "Datasets", "TensorCore", "Optimization", "TensorNetworks", "NeuralLayers", "CBLAS", "CKernels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ] + suiteNames.map { .target(name: $0) }),

        // Test support and tests: one target per source target, plus the suites end to end.
        .target(name: "_TestSupport", dependencies: ["TensorCore"], path: "Tests/_TestSupport"),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "_TestSupport"]),
        .testTarget(name: "OptimizationTests", dependencies: ["Optimization", "_TestSupport"]),
        .testTarget(
            name: "TensorNetworksTests", dependencies: ["TensorNetworks", "Optimization", "CKernels", "_TestSupport"]),
        .testTarget(
            name: "NeuralLayersTests", dependencies: ["NeuralLayers", "_TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "_TestSupport"]),
        .testTarget(
            name: "HarnessTests", dependencies: ["Harness", "_TestSupport"],
            // External-implementation fixtures (programs, manifests, .npy files), read by path.
            exclude: ["Fixtures"]),
        .testTarget(
            name: "SuiteTests",
            dependencies: ["Harness", "Datasets", "_TestSupport"]
                + (suiteNames + sharedProtocols.keys.sorted()).map { .target(name: $0) }),
    ]
        + suiteNames.map { name in
            .target(
                name: name,
                dependencies: suiteDependencies
                    + sharedProtocols.filter { $0.value.contains(name) }.keys.sorted().map { .target(name: $0) },
                path: "Suites/\(name)",
                // External implementations (docs/IMPLEMENTATIONS.md) live beside the Swift code.
                exclude: FileManager.default.fileExists(atPath: "\(packageRoot)/Suites/\(name)/implementations")
                    ? ["implementations"] : [])
        }
        + sharedProtocols.keys.sorted().map { name in
            .target(name: name, dependencies: suiteDependencies, path: "Suites/\(name)")
        }
)
