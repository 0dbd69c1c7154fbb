import Datasets
import Harness
import TensorCore
import TensorNetworks

/// The `dataset` axis: which images (MNIST, or Fashion-MNIST off the paper's protocol).
enum Dataset: String, ConfigurationAxis {
    case mnist
    case fashionMNIST = "fashion-mnist"
    static let key = "dataset"

    var images: ImageDatasetName {
        switch self {
        case .mnist: .mnist
        case .fashionMNIST: .fashionMNIST
        }
    }
}

/// The optional `pooling` axis: how 2×2 pixel blocks become one pooled pixel.
enum Pooling: String, OptionalConfigurationAxis {
    /// The mean of the block, as the paper's text says ("averaging 2×2 pixel clusters").
    case average
    /// The authors' TNML code (2016, `image.h` `reduce`): the 8-bit pixels summed in an 8-bit
    /// accumulator that wraps modulo 256, divided by 4 in integers, mapped by /255.
    case tnmlUInt8 = "tnml_uint8"
    static let key = "pooling"
    static let defaultValue = Pooling.average
    static let summary = "2×2 pooling: the paper's average, or the authors' code's 8-bit wrapping sum (pixels in [0, 63/255])"

    var rule: PooledImages.PoolingRule {
        switch self {
        case .average: .average
        case .tnmlUInt8: .wrappingUInt8
        }
    }
}

/// The optional `solver` axis: the local solver of each bond update (``LocalSolver``).
enum Solver: String, OptionalConfigurationAxis {
    /// Conjugate gradients, `cg_steps` iterations from the current bond tensor.
    case cg
    /// The authors' TNML code's `cgrad`: `cg_steps` passes that rescale the bond tensor, the
    /// residual and the search direction to unit norm (``UnitNormPasses``).
    case tnml
    static let key = "solver"
    static let defaultValue = Solver.cg
    static let summary = "local bond solver: conjugate gradients, or the authors' code's passes that rescale B, r and p to unit norm (cg_steps of either)"

    var local: LocalSolver {
        switch self {
        case .cg: .conjugateGradient
        case .tnml: .tnml
        }
    }
}

/// The optional `init` axis: the starting MPS (``StoudenmireMPSProblem/startingMPS(_:in:)``).
enum Initialization: String, OptionalConfigurationAxis {
    /// The dominant subspaces of a seeded subset of the training images, up to m
    /// (``MPSClassifier/principalSubspaces(features:labels:labelCount:maxBondDimension:featureMap:)``).
    case principal
    /// The authors' TNML code (`fixedL.cc`): per class the sum of 100 random training images'
    /// product states, compressed to 10, labelled 0.1·e_ℓ, the classes summed and compressed to 10
    /// (``MPSClassifier/summedProductStates(features:chosen:labelSite:featureMap:classBondDimension:classCutoff:labelScale:maxBondDimension:cutoff:)``).
    case tnml
    static let key = "init"
    static let defaultValue = Initialization.principal
    static let summary = "starting MPS: dominant subspaces of the training images up to m, or the authors' code's per-class sums of 100 product states compressed to bond dimension 10"

    /// Training images per class in the authors' sums (their `ninitial`).
    static let tnmlImagesPerClass = 100
}

/// The optional `label` axis: where the label leg goes during the sweeps (``LabelPlacement``).
enum Label: String, OptionalConfigurationAxis {
    /// With the singular values of every split, in the sweep's direction (the paper's text).
    case moving
    /// On the centre site, always (the authors' TNML code, `fixedL.cc`).
    case fixed
    static let key = "label"
    static let defaultValue = Label.moving
    static let summary = "the label leg: moving with every split (the paper's text), or fixed on the centre site (the authors' code)"

    var placement: LabelPlacement {
        switch self {
        case .moving: .moving
        case .fixed: .fixed
        }
    }
}

/// The configuration key of the bond dimension m.
let bondDimensionKey = "m"

extension Metric {
    static let sweepSeconds = Metric(
        "sweep_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", samples: "quarter_sweep_seconds",
        description: "wall-clock seconds of one full sweep (left→right→left, 2(L−1) bond updates) over the training set, evaluation excluded: the mean of the full sweeps, timed whole")
    static let truncationError = Metric(
        "truncation_error", .smallerIsBetter, kind: .informational, unit: "fraction",
        description: "largest relative discarded weight of the last half-sweep")
    static let storedModelTestError = Metric(
        "stored_model_test_error", .smallerIsBetter, kind: .informational, unit: "fraction",
        description: "test error of the stored MPS evaluated plainly, f^ℓ = W^ℓ·Φ(x) (must equal test_error)")
}

/// Stoudenmire & Schwab's problem: MNIST pooled to 14×14 (a seeded training subset below the
/// full set, the first test images), the protocol's settings, and the evaluation — the
/// training and test error of an implementation's class scores, measured whenever the label
/// passes the centre (curves at x = k + 0.5 and k + 1) and after training (the finals).
public struct StoudenmireMPSProblem: Problem {
    static let suite = "StoudenmireMPS"

    /// What an implementation trains on.
    public struct Inputs {
        public var train: ImageSet
        public var test: ImageSet
        /// The paper's feature map φ(x) = [cos(πx/2), sin(πx/2)] and its row-major ("zig-zag") site order.
        public var featureMap = FeatureMap.trigonometric
        public var order = SiteOrder.rowMajor
        /// The largest bond dimension m.
        public var bondDimension: Int
        /// Full sweeps (the last one stops with the label at the centre).
        public var sweeps: Int
        /// Conjugate-gradient iterations per bond update.
        public var conjugateGradientSteps: Int
        /// Training images the starting MPS is built from (a seeded subset; all below this).
        public var initCount: Int
        /// Threads that share each bond update's inputs (results are deterministic per count).
        public var workers: Int
        /// How the 28×28 images were pooled to 14×14.
        var pooling = Pooling.average
        /// The local solver of each bond update.
        var solver = Solver.cg
        /// How the starting MPS is built.
        var initialization = Initialization.principal
        /// Where the label leg goes during the sweeps.
        var label = Label.moving

        /// Sites of the chain: one per pooled pixel.
        public var sites: Int { train.rows * train.columns }
        /// The site where the label is measured and stored.
        public var centre: Int { sites / 2 }
    }

    public init() {}

    public func inputs(for context: RunContext) throws -> Inputs {
        let settings = context.settings
        let m = try context.parameters.int(bondDimensionKey, in: 1...)
        let dataset = try context.parameters.choice(Dataset.self)
        let pooling = try context.parameters.choice(Pooling.self)
        let solver = try context.parameters.choice(Solver.self)
        let initialization = try context.parameters.choice(Initialization.self)
        let label = try context.parameters.choice(Label.self)
        let sweeps = try settings.int("sweeps", in: 1...)
        let trainCount = try settings.int("train_count", in: 1...), testCount = try settings.int("test_count", in: 1...)
        let initCount = try settings.int("init_count", in: 1...), cgSteps = try settings.int("cg_steps", in: 1...)
        // Results are deterministic for a given worker count; the harness sets the BLAS threads
        // per job, and a `workers` setting (tests) pins the count whatever the threads are.
        let workers = try settings.optionalInt("workers", in: 1...) ?? Swift.max(1, BLASRuntime.threadCount)

        // 14×14 images, a seeded training subset below the full set.
        var dataRNG = context.rng("data")
        let selection = PooledImages.Selection(train: .seededSubset(trainCount), testCount: testCount, rule: pooling.rule)
        let (train, test) = try context.measure("load") {
            try PooledImages.load(dataset.images, selection, dataDirectory: context.dataDirectory, rng: &dataRNG)
        }.value
        return Inputs(train: train, test: test, bondDimension: m, sweeps: sweeps, conjugateGradientSteps: cgSteps,
                      initCount: initCount, workers: workers, pooling: pooling, solver: solver, initialization: initialization,
                      label: label)
    }

    /// The starting MPS of every implementation, label on site 0 (on the centre with
    /// `label=fixed`), drawn from the job's stream
    /// `init`. `init=principal` (the default): built from a seeded subset of the training images
    /// (all of them below `init_count`) by
    /// ``MPSClassifier/principalSubspaces(features:labels:labelCount:maxBondDimension:featureMap:)``.
    /// `init=tnml`: the authors' sums, for each class of 100 training images of that class drawn
    /// at random with replacement (their `randImg`), by
    /// ``MPSClassifier/summedProductStates(features:chosen:labelSite:featureMap:classBondDimension:classCutoff:labelScale:maxBondDimension:cutoff:)``
    /// with their caps (10 per class and 10 in all, whatever m is: the sweeps grow the bonds) —
    /// the label core on site 0, where the moving label's sweeps start, or on the centre, where
    /// the authors' code keeps it, with `label=fixed`. A principal start with `label=fixed` has its
    /// label moved to the centre by SVDs truncated to m (``MPSClassifier/moveLabel(rightTo:truncation:)``).
    public func startingMPS(_ inputs: Inputs, in context: RunContext) throws -> MPSClassifier<Float> {
        let (train, map, order) = (inputs.train, inputs.featureMap, inputs.order)
        var initRNG = context.rng("init")
        switch inputs.initialization {
        case .principal:
            let initImages = Splits.subset(of: train.count, size: inputs.initCount, rng: &initRNG)
            return try context.measure("init") {
                let subset = train.subset(initImages)
                var mps: MPSClassifier<Float> = try MPSClassifier.principalSubspaces(
                    features: map.siteFeatures(subset.flattened(order: order)), labels: subset.labels,
                    labelCount: train.classCount, maxBondDimension: inputs.bondDimension, featureMap: map)
                if inputs.label == .fixed {
                    let dropped = try mps.moveLabel(
                        rightTo: inputs.centre, truncation: Truncation(maxBondDimension: inputs.bondDimension, relativeCutoff: 1e-10))
                    context.setAttribute("label_move_truncation", .double(dropped))
                }
                return mps
            }.value
        case .tnml:
            let chosen = try (0..<train.classCount).map { label in
                let members = train.labels.indices.filter { train.labels[$0] == label }
                guard !members.isEmpty else {
                    throw SuiteInputError(suite: Self.suite, key: Initialization.key, "init=tnml: no training image of class \(label)")
                }
                return (0..<Initialization.tnmlImagesPerClass).map { _ in members[initRNG.nextInt(below: members.count)] }
            }
            return try context.measure("init") {
                let images = train.subset(Array(Set(chosen.joined())).sorted())
                // Indices into the subset, which holds each chosen image once.
                let position = Dictionary(uniqueKeysWithValues: Array(Set(chosen.joined())).sorted().enumerated().map { ($1, $0) })
                return try MPSClassifier.summedProductStates(
                    features: map.siteFeatures(images.flattened(order: order)), chosen: chosen.map { $0.map { position[$0]! } },
                    labelSite: inputs.label == .fixed ? inputs.centre : 0, featureMap: map)
            }.value
        }
    }

    public var isExchangeable: Bool { true }

    /// The pooled pixels x ∈ [0, 1] in site order (`inputs`, [N, 196]) with the training labels,
    /// the test images without theirs; the protocol (m, sweeps, CG steps, the truncation cutoff,
    /// the centre site, the local solver); and the starting MPS (``startingMPS(_:in:)``, set
    /// `initial_mps`: `core_000` … in site order, the label core [Dₗ, d, C, Dᵣ] on site 0, or on the
    /// centre with `label=fixed`), so that
    /// every implementation begins where native does. An "epoch" is the span between two passes
    /// of the label through the centre — the first from site 0 to the centre, then centre → end →
    /// centre: 2·sweeps epochs, curves at x = epoch / 2 as native's — after each of which the
    /// training and test scores are due, and at the end.
    public func exchange(_ inputs: Inputs, in context: RunContext) throws -> ProblemExchange {
        let mps = try startingMPS(inputs, in: context)
        var initial: [String: NpyArray] = [:]
        for (j, core) in mps.cores.enumerated() { initial[String(format: "core_%03d", j)] = .float(core) }
        return ProblemExchange(
            sets: [
                "train": ["inputs": .float(inputs.train.flattened(order: inputs.order)), "labels": .labels(inputs.train.labels)],
                "test": ["inputs": .float(inputs.test.flattened(order: inputs.order))],
                "initial_mps": initial,
            ],
            protocolValues: [
                bondDimensionKey: .int(inputs.bondDimension), "sweeps": .int(inputs.sweeps), "epochs": .int(2 * inputs.sweeps),
                "cg_steps": .int(inputs.conjugateGradientSteps), "relative_cutoff": .double(1e-10), "centre_site": .int(inputs.centre),
                "feature_map": "trigonometric: [cos(pi x / 2), sin(pi x / 2)]", "environment_normalization": "per-input",
                Solver.key: .string(inputs.solver.rawValue), Label.key: .string(inputs.label.rawValue),
            ],
            schedule: PredictionSchedule(epoch: ["train", "test"], final: ["train", "test"]),
            epochSpan: "the bond updates between two passes of the label through the centre, without evaluation",
            epochLength: 0.5)
    }

    /// The training and test error of the class scores in `predictions` ("train", "test"):
    /// curve points at a round, the finals after training.
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        let trainError = try predictions.scores("train", suite: Self.suite).errorRate(labels: inputs.train.labels)
        let testError = try predictions.scores("test", suite: Self.suite).errorRate(labels: inputs.test.labels)
        switch checkpoint {
        case .round(_, let x):
            context.append(Metric.trainError.name, x: x, y: trainError)
            context.append(Metric.testError.name, x: x, y: testError)
        case .final:
            context.record(.testError, testError)
            context.record(.trainError, trainError)
        case .step:
            break
        }
        return [.trainError: trainError, .testError: testError]
    }
}
