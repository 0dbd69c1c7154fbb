import Harness
import TensorCore
import TensorNetworks

/// Barratt, Dborin & Wright (2021), Sec. 5 and Fig. 4: rank regularization. A diagonal regularizer
/// sits on every internal bond of a copy-node-initialized MPS; its entries are shifted sigmoids
/// σ((s_i − k + 1/2)/τ) of a learnable soft bond dimension s_i; the loss adds the soft parameter
/// count; at evaluation each bond is truncated to round(s_i) and the regularizers are absorbed into
/// their neighbours. Paper: with D_max = 10 it matches the D = 10 MPS with ≈22% fewer parameters,
/// and the bond dimensions fall toward the end of the chain opposite the output leg (Fig. 4b).
///
/// ## Protocol
/// As the CopyNodeInit suite (MNIST 14×14, row-major, φ = [cos, sin](πx/2), output leg on the
/// first core, Adam lr 1e-3 batch 32, 80:20 split, copy-node initialization with v = (1, 0.8),
/// 8 dense nodes and the output scale calibrated on 1,000 training images — see that suite for
/// why), `numerics = plain` (float32). The data, the calibration and the training loop are
/// `TensorNetworks`' ``MPSGradientTask``, which the CopyNodeInit suite runs too.
///
/// ## Choices the paper leaves open (value taken)
/// - Sigmoid width τ = 0.5 (`sharpness`); s_i initialized at D_max; s_i kept in [1, D_max] after
///   every step; D_i = clamp(round(s_i), 1, D_max) at evaluation; the soft dimensions get their own
///   Adam with the cores' hyperparameters.
/// - Penalty: the paper adds "a softened approximation to the number of parameters" to the loss
///   without a weight. Our loss is the *per-sample mean* cross-entropy (as Keras'), so a penalty
///   P(s) needs a price per parameter in nats per sample. We take Akaike's: AIC = 2k − 2 ln L, i.e.
///   mean cross-entropy + k/N per sample, so the penalty is P(s)/N_train (N_train = training
///   images) — a parameter must lower the mean training loss by 1/N nats to be kept. In the
///   regularizer's normalized form λ·P(s)/P(D_max) that is λ = P(D_max)/N_train (ci: 39,020/12,000
///   = 3.25; paper tier: 0.81). A fixed λ = 0.1 prices a parameter at 2.6e-6 nats, about 30×
///   below AIC at ci: its pull on s_i (≈1e-4 per step) drowns in the cross-entropy gradient's
///   noise under Adam's normalization, and no bond moved in 10 epochs of a ci run.
/// - Evaluation (validation per epoch, test at the end) always uses the truncated, absorbed model,
///   so `val_error`/`test_error`/`param_count` are those of the deployable model.
///
/// ## Configurations
/// `model` = `mps` (copy-node MPS at D = D_max, no regularizer) or `rank_regularized` (D_max with
/// regularizers); key `D_max`.
/// - smoke: rank_regularized D_max = 4 and mps D_max = 4, 600 images, 1 epoch, 1 seed.
/// - ci: mps at D_max ∈ {6, 10} and rank_regularized at 10; 12,000/3,000 images, 10 epochs, 3 seeds
///   (about 45 s with one BLAS thread on one core).
/// - paper: mps at D_max = 2…10 and rank_regularized at 10; 48,000/12,000, 100 epochs, 10 seeds.
///
/// ## Records
/// As CopyNodeInit, plus the arrays `bond_dimensions` (the rounded D_i along the chain, [L − 1])
/// and `soft_bond_dimensions` for rank-regularized runs.
public struct RankRegularizationSuite: Suite {
    public init() {}

    public var name: String { "RankRegularization" }
    public var summary: String {
        "MPS on MNIST 14×14 with learnable soft bond dimensions: D = 10 accuracy with fewer parameters"
    }
    public var paper: PaperReference {
        PaperReference(
            title: "Improvements to Gradient Descent Methods for Quantum Tensor Network Machine Learning",
            authors: "F. Barratt, J. Dborin, L. Wright", year: 2021, arxiv: "2203.03366",
            baselineID: "barratt-rank-regularization-mps-mnist")
    }

    /// The sizes the planner holds `--set` and `--config` to (``Suite/limits``): MNIST's 60,000 training and 10,000 test images; bond dimensions up to 400 (the paper's stop at 10).
    public var limits: [String: ClosedRange<Int>] { ["train_count": 1...60_000, "test_count": 1...10_000, "D_max": 1...400, "dense_nodes": 1...1_000] }

    public var metrics: [MetricSpec] {
        [
            MetricSpec("val_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.01,
                       description: "validation error of the truncated, absorbed model after the last epoch"),
            MetricSpec("test_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.01,
                       description: "test error of the truncated, absorbed model"),
            MetricSpec("param_count", .smallerIsBetter, kind: .informational, unit: "parameters",
                       description: "parameters of the truncated model (388D² + 22D without regularizers)"),
            MetricSpec("train_loss", .smallerIsBetter, kind: .informational, unit: "nats",
                       description: "mean cross-entropy of the last epoch"),
            MetricSpec("epoch_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", samples: "epoch_seconds",
                       description: "wall-clock seconds per training epoch, median"),
            MetricSpec("gflops", .largerIsBetter, kind: .informational, unit: "GFLOP/s",
                       description: "training flops (6·batch·parameters per step) per second of training"),
            MetricSpec("nonfinite_batches", .smallerIsBetter, kind: .informational, unit: "batches",
                       description: "batches skipped for a non-finite loss or gradient"),
            MetricSpec("init_log10_output", .largerIsBetter, kind: .informational, unit: "log10",
                       description: "log₁₀ of the median, over the first 256 validation images, of max_ℓ |f^ℓ| at initialization (exact, log-scaled); −400 when that median is 0"),
            MetricSpec("penalty_weight", .smallerIsBetter, kind: .informational, unit: "λ",
                       description: "λ of λ·P(s)/P(D_max): P(D_max)/N_train (AIC)"),
            MetricSpec("init_scale_factor", .largerIsBetter, kind: .informational, unit: "log10",
                       description: "log₁₀ of the factor applied to the label core by the output-scale calibration"),
            MetricSpec("train_images", .largerIsBetter, kind: .informational, unit: "images", description: "training images"),
            MetricSpec("epochs", .largerIsBetter, kind: .informational, unit: "epochs", description: "epochs trained"),
        ]
    }

    public var figures: [FigureSpec] {
        [
            FigureSpec(id: "val_error_vs_epoch", title: "Fig. 3b: validation error, MPS and rank-regularized",
                       kind: .curve(name: "val_error", series: nil), xLabel: "epoch", yLabel: "validation error"),
            FigureSpec(id: "test_error_vs_D", title: "Fig. 4a: test error against D (rank-regularized at D_max)",
                       kind: .metricVersus(metric: "test_error", x: "D_max", series: "model"), xLabel: "D", yLabel: "test error"),
            FigureSpec(id: "param_count_vs_D", title: "Fig. 4a: parameters against D",
                       kind: .metricVersus(metric: "param_count", x: "D_max", series: "model"), xLabel: "D", yLabel: "parameters"),
            FigureSpec(id: "bond_spectrum", title: "Fig. 4b: bond dimensions along the chain",
                       kind: .arrayProfile(name: "bond_dimensions", series: nil), xLabel: "bond", yLabel: "D_i",
                       filter: ["model": "rank_regularized"]),
        ]
    }

    public func plan(for tier: Tier) -> TierPlan {
        func configs(_ mps: [Int], _ regularized: [Int]) -> [Configuration] {
            mps.map { ["model": "mps", "D_max": .int($0)] } + regularized.map { ["model": "rank_regularized", "D_max": .int($0)] }
        }
        switch tier {
        case .smoke:
            return TierPlan(configurations: configs([4], [4]), seeds: 1, summary: "600 images, 1 epoch, D_max = 4",
                            settings: settings(trainCount: 600, testCount: 200, epochs: 1))
        case .ci:
            return TierPlan(configurations: configs([6, 10], [10]), seeds: 3,
                            summary: "15,000 images (12,000/3,000), 10,000 test, 10 epochs; MPS D ∈ {6, 10}, RR D_max = 10",
                            settings: settings(trainCount: 15_000, testCount: 10_000, epochs: 10))
        case .paper:
            return TierPlan(configurations: configs(Array(2...10), [10]), seeds: 10,
                            summary: "60,000 images (48,000/12,000), 10,000 test, 100 epochs; MPS D = 2…10, RR D_max = 10",
                            settings: settings(trainCount: 60_000, testCount: 10_000, epochs: 100))
        }
    }

    private func settings(trainCount: Int, testCount: Int, epochs: Int) -> [String: ConfigurationValue] {
        [
            "train_count": .int(trainCount), "validation_fraction": 0.2, "test_count": .int(testCount),
            "epochs": .int(epochs), "batch_size": 32, "learning_rate": 1e-3, "adam_epsilon": 1e-7,
            "dense_nodes": 8, "copy_vector": "(1,0.8), output calibrated", "sharpness": 0.5,
            "penalty": "AIC: P(s)/N_train nats per sample (penalty_weight = P(D_max)/N_train)",
            "pooling": 2, "site_order": "row-major", "scalar": "float32", "numerics": "plain",
        ]
    }

    /// The models of the `model` axis.
    enum ModelName: String, CaseIterable {
        case mps
        case rankRegularized = "rank_regularized"
    }

    public func run(_ context: RunContext) throws {
        let settings = context.settings
        let bond = try context.parameters.int("D_max", in: 1...)
        let regularized = try context.parameters.choice("model", as: ModelName.self) == .rankRegularized
        let options = try MPSGradientTask.Options(settings: settings, numerics: try settings.choice("numerics", as: ContractionNumerics.self))
        var splitRNG = context.rng("split")
        let task = try context.measure("load") {
            try MPSGradientTask.load(settings: settings, dataDirectory: context.dataDirectory, splitRNG: &splitRNG)
        }.value
        var rng = context.rng("init")
        let dense = CopyNodeInitialization.randomDenseSites(
            count: try settings.int("dense_nodes", in: 1...), siteCount: task.sites, using: &rng)
        let scheme = CopyNodeInitialization(denseSites: dense, vector: .damped)
        let raw: MPSClassifier<Float> = scheme
            .mps(siteCount: task.sites, bondDimension: bond, labelCount: 10, featureMap: task.featureMap, using: &rng)
        context.record(array: "dense_sites", shape: [dense.count], values: dense.map(Double.init))
        let (model, log10Factor) = task.calibrated(raw, scheme: scheme)
        context.record("init_scale_factor", log10Factor)
        // AIC price: P(s)/N_train nats per sample, i.e. λ = P(D_max)/N_train in normalized form.
        let fullCount = MPSClassifier<Float>.uniformParameterCount(siteCount: task.sites, bondDimension: bond,
                                                                   physical: 2, labelCount: 10)
        let penaltyWeight = Double(fullCount) / Double(task.train.count)
        let regularizer = regularized
            ? RankRegularizer(bondCount: task.sites - 1, maxBondDimension: bond,
                              sharpness: try settings.double("sharpness", in: 0...), penaltyWeight: penaltyWeight)
            : nil
        if regularized { context.record("penalty_weight", penaltyWeight) }
        context.setAttribute("label_site", 0)
        context.setAttribute("feature_map", "trigonometric")
        context.setAttribute("numerics", .string(options.numerics.rawValue))
        let result = try task.train(model, regularizer: regularizer, options: options, shuffle: context.rng("shuffle")) { done, epochs in
            context.progress(Double(done) / Double(epochs), "epoch \(done)/\(epochs)")
            try context.checkCancellation()
        }
        context.record(result)
    }

    public func findings(_ results: [MetricSummary]) -> [Finding] {
        func one(_ metric: String, _ c: Configuration) -> MetricSummary? {
            results.first { $0.metric == metric && $0.configuration.matches(c) && $0.n > 0 }
        }
        guard let rrTest = one("test_error", ["model": "rank_regularized", "D_max": 10]),
              let mpsTest = one("test_error", ["model": "mps", "D_max": 10]),
              let rrParams = one("param_count", ["model": "rank_regularized", "D_max": 10]),
              let mpsParams = one("param_count", ["model": "mps", "D_max": 10])
        else {
            return [Finding(statement: "Rank-regularized (D_max = 10) matches D = 10 accuracy with ≈22% fewer parameters",
                            holds: nil, detail: "needs both the rank_regularized and the mps run at D_max = 10")]
        }
        let sigma = Swift.max(rrTest.standardDeviation.isNaN ? 0 : rrTest.standardDeviation,
                              mpsTest.standardDeviation.isNaN ? 0 : mpsTest.standardDeviation)
        let matches = abs(rrTest.mean - mpsTest.mean) <= Swift.max(sigma, 0.005)
        let reduction = 1 - rrParams.mean / mpsParams.mean
        let detail = String(format: "test error RR %.4f ± %.4f vs D=10 %.4f ± %.4f (n=%d, %d); parameters %.0f vs %.0f (%.1f%% fewer; paper ≈22%%)",
                            rrTest.mean, rrTest.standardDeviation, mpsTest.mean, mpsTest.standardDeviation, rrTest.n, mpsTest.n,
                            rrParams.mean, mpsParams.mean, 100 * reduction)
        return [
            Finding(statement: "Rank-regularized (D_max = 10) matches D = 10 test accuracy within σ",
                    holds: rrTest.n > 1 && mpsTest.n > 1 ? matches : nil, detail: detail),
            Finding(statement: "…with markedly fewer parameters (paper: ≈22% fewer)",
                    holds: reduction >= 0.1, detail: detail),
        ]
    }
}
