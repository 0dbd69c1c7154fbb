import Datasets
import Harness
import TensorCore
import TensorNetworks

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Barratt, Dborin & Wright (2021), Sec. 3 and Fig. 3: an MPS classifier on MNIST 14×14 trained by
/// direct gradient descent (Adam on every core at once). Glorot, He and LeCun initializations —
/// matched on the contracted weight matrix — stay on a plateau; copy-node initialization trains
/// at every bond dimension and beats 5% test error for D ≥ 6.
///
/// ## The paper's protocol (as implemented)
/// - MNIST 28×28 → 2×2 average pooling → 14×14, row-major ("zig-zag") flattening, L = 196,
///   pixel = byte/255; φ(x) = [cos(πx/2), sin(πx/2)]; no bias.
/// - MPS W = A₀^ℓ A₁ … A₁₉₅, output leg (C = 10) on the first core, uniform bond dimension D;
///   388D² + 22D parameters; softmax cross-entropy on the unnormalized outputs f^ℓ.
/// - Adam, lr 1e-3 (Keras form, β = 0.9/0.999, ε = 1e-7), batch 32; 60,000 training images split
///   80:20 into train/validation; 10,000 test images.
///
/// ## Choices the paper leaves open (value taken)
/// - σ²_target: Glorot 2/(fan_in + fan_out), He 2/fan_in, LeCun 1/fan_in, with fan_in = d^V (the
///   feature-space dimension of the (sub)network) and fan_out = C = 10. Matched with
///   Var(A) = (σ²_target/D^E)^{1/V} in log space; V = nodes, E = internal bonds = V − 1
///   (whole MPS: V = 196, E = 195). Normal draws (Keras' truncation is not applied).
/// - Copy-node: n = 8 dense nodes — the output node plus 7 drawn at random (the paper's "choose
///   V − n nodes at random, skipping any with an output edge"), from `rng("init")`; recorded as the
///   array `dense_sites`. Dense cores matched with V = 8, E = 7, fan_in = 2^8, Glorot target.
/// - The copy vector v and the output scale. With the [1, x] map of the paper's ref. [13] a copy
///   node with v = (1, 0) is transparent; with φ = [cos, sin](πx/2) no v is (v·φ(x) cannot be
///   constant), so every image's output is multiplied by g(x) = Π_{copy sites} v·φ(x_j). Each
///   sample's gradient is proportional to g(x), so the *spread* of g across images, not only its
///   size, decides whether training works: with v = (1, 1) log₁₀ g has median 4.3 and per-image
///   std 0.98 decades on MNIST, so one or two images dominate every 32-image batch. Measured
///   (D = 10, 12,000 images): the same initialization, optimizer and gradient code
///   reach 12% validation error in 2 epochs when g ≡ 1 (linear map, or φ divided by v·φ on the
///   copy sites) but 75% with v = (1, 1); rescaling the output alone does not help. We take
///   v = (1, 0.8) (`CopyNodeVector.damped`: 1 on background, the flat minimum of the spread,
///   0.80 decades) and calibrate the one free overall scale on data: the label core is divided so
///   that the median max_ℓ|f| over 1,000 training images equals the dense sub-network's Glorot
///   σ_target = (2/266)^{1/2} ≈ 0.087 (`CopyNodeInitialization.calibratingOutputScale`), i.e.
///   the copy sites are transparent in the median, as the paper's construction intends. The
///   residual spread remains and is why copy-node training here is slower and noisier than the
///   paper's curves (see the findings). The paper-literal v = (1, 0), uncalibrated, runs as
///   `copy_node_v10` (ci tier, D = 6) so the consequence of the paper's choice is measured.
/// - Split: stratified 80:20 (`rng("split")`); shuffling per epoch (`rng("shuffle")`); float32.
/// - `numerics`: `plain` (float32 contraction as in quimb + Keras, the paper-faithful default) and
///   `logscaled` (exact per-sample power-of-two scale tracking; same function, same gradients).
///
/// ## Tiers
/// - smoke: 600 training images, 1 epoch, D = 2, glorot vs copy_node, both numerics; 1 seed.
/// - ci: 15,000 of the 60,000 training images (80:20 → 12,000 train / 3,000 validation), all
///   10,000 test images, 10 epochs; init × D ∈ {2, 6, 10} × numerics, plus copy_node_v10 at D = 6;
///   3 seeds. About 5–8 minutes with one BLAS thread on one core (78 jobs).
/// - paper: 60,000 (48,000/12,000), 100 epochs, D = 2…10, 10 seeds.
///
/// Measured at the paper's protocol, one seed only (copy_node, D = 10): under
/// `logscaled` the model trains (validation error 4.3–6% from epoch ~40, final test error 0.107
/// after a last-epoch spike); under `plain` it reached 0.80 validation error in epoch 2 and then
/// collapsed to the uniform output (train loss ln 10 to five digits from epoch 7, no non-finite
/// batch, never recovering) — consistent with float32 underflow of the 196-site product as the
/// cores' norms drift, which the ci tier's 3,750 steps do not reach. One seed is not a verdict, but
/// at full length the `plain` copy-node runs may measure this collapse rather than the paper's
/// curve.
///
/// ## Records
/// Per epoch: `train_loss` (mean over finite batches), `val_error`. Final: `val_error`,
/// `test_error`, `train_loss`, `param_count`, `epoch_seconds`, `gflops`, `nonfinite_batches`,
/// `diverged_epoch` (first epoch with a non-finite batch, when any), `init_log10_output`
/// (log₁₀ of the median over the first 256 validation images of max_ℓ |f^ℓ| at initialization,
/// exact via log-scaling; −400 when the median is 0), `train_images`, `epochs`.
/// A model whose every batch is non-finite cannot change: its curve is continued flat.
public struct CopyNodeInitSuite: Suite {
    public init() {}

    public var name: String { "CopyNodeInit" }
    public var summary: String {
        "MPS on MNIST 14×14 by direct gradient descent: Glorot/He/LeCun plateau, copy-node initialization trains"
    }
    public var paper: PaperReference {
        PaperReference(
            title: "Improvements to Gradient Descent Methods for Quantum Tensor Network Machine Learning",
            authors: "F. Barratt, J. Dborin, L. Wright", year: 2021, arxiv: "2203.03366",
            baselineID: "barratt-copynode-init-mps-mnist")
    }

    /// The sizes the planner holds `--set` and `--config` to (``Suite/limits``): MNIST's 60,000 training and 10,000 test images; bond dimensions up to 400 (the paper's grid stops at 10).
    public var limits: [String: ClosedRange<Int>] { ["train_count": 1...60_000, "test_count": 1...10_000, "D": 1...400, "dense_nodes": 1...1_000] }

    public var metrics: [MetricSpec] {
        [
            MetricSpec("val_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.01,
                       description: "validation error after the last epoch"),
            MetricSpec("test_error", .smallerIsBetter, kind: .quality, unit: "fraction", practicalMargin: 0.01,
                       description: "error on the MNIST test images"),
            MetricSpec("train_loss", .smallerIsBetter, kind: .informational, unit: "nats",
                       description: "mean cross-entropy of the last epoch's finite batches"),
            MetricSpec("param_count", .smallerIsBetter, kind: .informational, unit: "parameters",
                       description: "388D² + 22D"),
            MetricSpec("epoch_seconds", .smallerIsBetter, kind: .speed, unit: "seconds", samples: "epoch_seconds",
                       description: "wall-clock seconds per training epoch (forward + backward + Adam), median over epochs"),
            MetricSpec("gflops", .largerIsBetter, kind: .informational, unit: "GFLOP/s",
                       description: "training flops (6·batch·parameters per step) per second of training"),
            MetricSpec("nonfinite_batches", .smallerIsBetter, kind: .informational, unit: "batches",
                       description: "batches skipped because the loss or a gradient was not finite"),
            MetricSpec("init_log10_output", .largerIsBetter, kind: .informational, unit: "log10",
                       description: "log₁₀ of the median, over the first 256 validation images, of max_ℓ |f^ℓ| at initialization (exact, log-scaled); −400 when that median is 0"),
            MetricSpec("init_scale_factor", .largerIsBetter, kind: .informational, unit: "log10",
                       description: "log₁₀ of the factor applied to the label core by the output-scale calibration"),
            MetricSpec("train_images", .largerIsBetter, kind: .informational, unit: "images",
                       description: "training images per epoch"),
            MetricSpec("epochs", .largerIsBetter, kind: .informational, unit: "epochs", description: "epochs trained"),
        ]
    }

    public var figures: [FigureSpec] {
        var figures = [FigureSpec]()
        for numerics in ContractionNumerics.allCases {
            for d in [2, 6, 10] {
                figures.append(FigureSpec(
                    id: "val_error_vs_epoch_D\(d)_\(numerics.rawValue)",
                    title: "Fig. 3a: validation error, D = \(d), \(numerics.rawValue) numerics",
                    kind: .curve(name: "val_error", series: "init"), xLabel: "epoch", yLabel: "validation error",
                    filter: ["D": .int(d), "numerics": .string(numerics.rawValue)]))
            }
        }
        figures.append(FigureSpec(
            id: "copy_node_val_error_vs_epoch", title: "Fig. 3b: copy-node validation error for each D",
            kind: .curve(name: "val_error", series: "D"), xLabel: "epoch", yLabel: "validation error",
            filter: ["init": "copy_node", "numerics": "plain"]))
        figures.append(FigureSpec(
            id: "test_error_vs_D", title: "Fig. 4a: test error against bond dimension",
            kind: .metricVersus(metric: "test_error", x: "D", series: "init"), xLabel: "D", yLabel: "test error",
            logY: true, filter: ["numerics": "plain"]))
        figures.append(FigureSpec(
            id: "param_count_vs_D", title: "Fig. 4a: parameters against bond dimension",
            kind: .metricVersus(metric: "param_count", x: "D", series: nil), xLabel: "D", yLabel: "parameters",
            filter: ["init": "copy_node", "numerics": "plain"]))
        figures.append(FigureSpec(
            id: "train_loss_vs_epoch_D6", title: "training loss, D = 6",
            kind: .curve(name: "train_loss", series: "init"), xLabel: "epoch", yLabel: "cross-entropy (nats)",
            logY: true, filter: ["D": 6, "numerics": "plain"]))
        return figures
    }

    public func plan(for tier: Tier) -> TierPlan {
        let inits: [ConfigurationValue] = ["glorot", "he", "lecun", "copy_node"]
        let numerics: [ConfigurationValue] = ["plain", "logscaled"]
        switch tier {
        case .smoke:
            return TierPlan(
                configurations: Configuration.grid([("init", ["glorot", "copy_node"]), ("D", [2]), ("numerics", numerics)]),
                seeds: 1, summary: "600 images (480/120), 1 epoch, D = 2",
                settings: settings(trainCount: 600, testCount: 200, epochs: 1))
        case .ci:
            let grid = Configuration.grid([("init", inits), ("D", [2, 6, 10]), ("numerics", numerics)])
            let literal = Configuration.grid([("init", ["copy_node_v10"]), ("D", [6]), ("numerics", numerics)])
            return TierPlan(
                configurations: grid + literal, seeds: 3,
                summary: "15,000 images (12,000/3,000), 10,000 test, 10 epochs, D ∈ {2, 6, 10}",
                settings: settings(trainCount: 15_000, testCount: 10_000, epochs: 10))
        case .paper:
            return TierPlan(
                configurations: Configuration.grid([("init", inits), ("D", (2...10).map { .int($0) }), ("numerics", numerics)]),
                seeds: 10, summary: "60,000 images (48,000/12,000), 10,000 test, 100 epochs, D = 2…10",
                settings: settings(trainCount: 60_000, testCount: 10_000, epochs: 100))
        }
    }

    private func settings(trainCount: Int, testCount: Int, epochs: Int) -> [String: ConfigurationValue] {
        [
            "train_count": .int(trainCount), "validation_fraction": 0.2, "test_count": .int(testCount),
            "epochs": .int(epochs), "batch_size": 32, "learning_rate": 1e-3, "adam_epsilon": 1e-7,
            "dense_nodes": 8, "dense_site_rule": "output node + random",
            "copy_vector": "(1,0.8), output calibrated to median 0.087 on 1,000 training images; copy_node_v10: (1,0), uncalibrated",
            "pooling": 2, "site_order": "row-major", "scalar": "float32",
        ]
    }

    /// The initializers of the `init` axis.
    enum InitializerName: String, CaseIterable {
        case glorot, he, lecun
        case copyNode = "copy_node"
        case copyNodeV10 = "copy_node_v10"
    }

    public func run(_ context: RunContext) throws {
        let settings = context.settings
        let initializer = try context.parameters.choice("init", as: InitializerName.self)
        let bond = try context.parameters.int("D", in: 1...)
        let numerics = try context.parameters.choice("numerics", as: ContractionNumerics.self)
        let options = try MPSGradientTask.Options(settings: settings, numerics: numerics)
        var splitRNG = context.rng("split")
        let task = try context.measure("load") {
            try MPSGradientTask.load(settings: settings, dataDirectory: context.dataDirectory, splitRNG: &splitRNG)
        }.value
        var rng = context.rng("init")
        let model: MPSClassifier<Float>
        switch initializer {
        case .glorot, .he, .lecun:
            model = MatchedInitializer.mps(
                target: VarianceTarget(rawValue: initializer.rawValue)!, siteCount: task.sites, bondDimension: bond,
                labelCount: 10, featureMap: task.featureMap, using: &rng)
        case .copyNode, .copyNodeV10:
            let dense = CopyNodeInitialization.randomDenseSites(
                count: try settings.int("dense_nodes", in: 1...), siteCount: task.sites, using: &rng)
            let literal = initializer == .copyNodeV10
            let scheme = CopyNodeInitialization(denseSites: dense, vector: literal ? .paper : .damped)
            let raw: MPSClassifier<Float> = scheme.mps(siteCount: task.sites, bondDimension: bond, labelCount: 10,
                                                       featureMap: task.featureMap, using: &rng)
            context.record(array: "dense_sites", shape: [dense.count], values: dense.map(Double.init))
            if literal {
                model = raw
            } else {
                let calibrated = task.calibrated(raw, scheme: scheme)
                context.record("init_scale_factor", calibrated.log10Factor)
                model = calibrated.model
            }
        }
        context.setAttribute("label_site", 0)
        context.setAttribute("feature_map", "trigonometric")
        context.setAttribute("numerics", .string(numerics.rawValue))
        let result = try task.train(model, options: options, shuffle: context.rng("shuffle")) { done, epochs in
            context.progress(Double(done) / Double(epochs), "epoch \(done)/\(epochs)")
            try context.checkCancellation()
        }
        context.record(result)
    }

    public func findings(_ results: [MetricSummary]) -> [Finding] {
        func mean(_ metric: String, _ match: Configuration) -> [MetricSummary] {
            results.filter { $0.metric == metric && $0.configuration.matches(match) && $0.n > 0 }
        }
        func describe(_ s: MetricSummary) -> String {
            let sd = s.standardDeviation.isNaN ? "" : String(format: " ± %.3f", s.standardDeviation)
            return "\(s.configuration.name): \(String(format: "%.3f", s.mean))\(sd) (n=\(s.n))"
        }
        var findings = [Finding]()
        // Plateau: final validation error within 0.1 of chance (0.9). "Trains": below 0.5 — fixed from
        // the paper, not from our results: Fig. 3b's copy-node curves leave chance for every D and
        // D = 10 is below 5% after ~20 epochs (≈ 30,000 Adam steps); the ci tier gives 3,750 steps,
        // and a model that trains as the paper's does is expected to have at least halved the chance
        // error by then.
        for numerics in ["plain", "logscaled"] {
            let plateau = mean("val_error", ["numerics": .string(numerics)])
                .filter { ["glorot", "he", "lecun"].contains($0.configuration.string("init") ?? "") }
            let copy = mean("val_error", ["numerics": .string(numerics), "init": "copy_node"])
            let holds: Bool? = plateau.isEmpty || copy.isEmpty
                ? nil : plateau.allSatisfy { $0.mean > 0.8 } && copy.allSatisfy { $0.mean < 0.5 }
            findings.append(Finding(
                statement: "Glorot/He/LeCun stay on a plateau while copy-node trains at every D (\(numerics) numerics)",
                holds: holds, detail: (plateau + copy).map(describe).joined(separator: "; ")))
        }
        // Whether the plateau is a float artifact: trains under logscaled but not under plain.
        let plainStuck = mean("val_error", ["numerics": "plain"]).filter { ["glorot", "he", "lecun"].contains($0.configuration.string("init") ?? "") }
        let scaledStuck = mean("val_error", ["numerics": "logscaled"]).filter { ["glorot", "he", "lecun"].contains($0.configuration.string("init") ?? "") }
        if !plainStuck.isEmpty && !scaledStuck.isEmpty {
            let artifact = plainStuck.allSatisfy { $0.mean > 0.8 } && scaledStuck.contains { $0.mean < 0.5 }
            findings.append(Finding(
                statement: "The Glorot/He/LeCun plateau is a floating-point artifact (it disappears under log-scaled numerics)",
                holds: artifact,
                detail: artifact
                    ? "trains under logscaled: " + scaledStuck.filter { $0.mean < 0.5 }.map(describe).joined(separator: "; ")
                    : "still on the plateau under exact log-scaled contraction, so the plateau is not a float32 under/overflow "
                        + "artifact: the matched variance gives outputs of order 2^(−L/2) and gradients far below Adam's ε "
                        + "(see init_log10_output). " + scaledStuck.map(describe).joined(separator: "; ")))
        }
        // Copy-node at D ≥ 6 beats 5% test error: the paper's statement at its data size and epochs;
        // at a reduced protocol the statement names the protocol run, and is judged either way.
        let copyTest = mean("test_error", ["init": "copy_node", "numerics": "plain"]).filter { ($0.configuration.int("D") ?? 0) >= 6 }
        let images = mean("train_images", [:]).map(\.mean).min() ?? 0
        let epochs = mean("epochs", [:]).map(\.mean).min() ?? 0
        let paperProtocol = images >= 48_000 && epochs >= 100
        findings.append(Finding(
            statement: "Copy-node initialization at D ≥ 6 beats 5% test error (the S&S m = 10 reference)"
                + (paperProtocol ? "" : " within this run's reduced protocol (\(Int(images)) images, \(Int(epochs)) epochs; the paper's: 48,000, 100)"),
            holds: copyTest.isEmpty ? nil : copyTest.allSatisfy { $0.mean < 0.05 },
            detail: copyTest.map(describe).joined(separator: "; ")))
        return findings
    }
}
