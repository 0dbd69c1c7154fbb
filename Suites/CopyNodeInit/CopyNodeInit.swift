import BarrattProtocol
import Foundation
import Harness
import TensorNetworks

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
///   node with v = (1, 0) is transparent; with φ = [cos, sin]\(πx/2) no v is (v·φ(x) cannot be
///   constant), so every image's output is multiplied by g(x) = Π_{copy sites} v·φ(x_j). Each
///   sample's gradient is proportional to g(x), so the *spread* of g across images, not only its
///   size, decides whether training works: with v = (1, 1) one or two images dominate every
///   32-image batch and training stalls where g ≡ 1 trains; rescaling the output alone does not
///   help. We take v = (1, 0.8) (`CopyNodeVector.damped`: 1 on background, the flat minimum of
///   the spread) and calibrate the one free overall scale on data: the label core is divided so
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
///   3 seeds (78 jobs).
/// - paper: 60,000 (48,000/12,000), 100 epochs, D = 2…10, 10 seeds.
///
/// ## Results
/// The numbers of the committed reference runs: `reports/ci/REPORT.md`, `reports/paper/REPORT.md`;
/// dated measurements and investigations behind the choices above (the copy vector's spread, a
/// paper-protocol run under both numerics): `reports/notes/CopyNodeInit.md`.
///
/// ## Problem and implementations
/// ``CopyNodeInitProblem`` (data, split, protocol settings; `val_error` per epoch and final,
/// `test_error`, `train_images`, `epochs` from an implementation's class scores, a non-finite
/// row counting as an error) and ``NativeCopyNodeInit`` (TNBench's training, which records
/// `train_loss`, `param_count`, `epoch_seconds`, `gflops`, `nonfinite_batches`,
/// `diverged_epoch`, `init_log10_output`, `init_scale_factor`, `dense_sites`). A model whose
/// every batch is non-finite cannot change: its validation curve is continued flat.
public struct CopyNodeInitSuite: ProblemSuite {
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

    public var problem: CopyNodeInitProblem { CopyNodeInitProblem() }
    public var implementations: [any Implementation<CopyNodeInitProblem>] { [NativeCopyNodeInit()] }

    /// The sizes the planner holds `--set` and `--config` to (``Suite/limits``): MNIST's 60,000 training and 10,000 test images; bond dimensions up to 400 (the paper's grid stops at 10).
    public var limits: [String: ClosedRange<Int>] { ["train_count": 1...60_000, "test_count": 1...10_000, bondDimensionKey: 1...400, "dense_nodes": 1...1_000] }

    public var metrics: [Metric] {
        [
            .validationError.refined(practicalMargin: 0.01, description: "validation error after the last epoch"),
            .testError.refined(practicalMargin: 0.01, description: "error on the MNIST test images"),
            .trainLoss.refined(description: "mean cross-entropy of the last epoch's finite batches"),
            .parameterCount.refined(description: "388D² + 22D"),
            .epochSeconds.refined(
                description: "wall-clock seconds per training epoch (forward + backward + Adam), median over epochs"),
            .gflops.refined(description: "training flops (6·batch·parameters per step) per second of training"),
            .nonFiniteBatches.refined(description: "batches skipped because the loss or a gradient was not finite"),
            .initLog10Output,
            .initScaleFactor,
            .trainImages,
            .epochs.refined(description: "epochs trained"),
        ]
    }

    public var figures: [FigureSpec] {
        let validationError = Metric.validationError.name
        var figures = [FigureSpec]()
        for numerics in Numerics.allCases {
            for d in [2, 6, 10] {
                figures.append(FigureSpec(
                    id: "val_error_vs_epoch_D\(d)_\(numerics.rawValue)",
                    title: "Fig. 3a: validation error, D = \(d), \(numerics.rawValue) numerics",
                    kind: .curve(name: validationError, series: Initializer.key), xLabel: "epoch", yLabel: "validation error",
                    filter: Configuration(numerics).with(bondDimensionKey, .int(d)), showsEachSeed: true))
            }
        }
        figures.append(FigureSpec(
            id: "copy_node_val_error_vs_epoch", title: "Fig. 3b: copy-node validation error for each D",
            kind: .curve(name: validationError, series: bondDimensionKey), xLabel: "epoch", yLabel: "validation error",
            filter: Configuration(Initializer.copyNode, Numerics.plain), showsEachSeed: true))
        figures.append(FigureSpec(
            id: "test_error_vs_D", title: "Fig. 4a: test error against bond dimension",
            kind: .metricVersus(metric: .testError, x: bondDimensionKey, series: Initializer.key), xLabel: "D",
            yLabel: "test error", logY: true, filter: Configuration(Numerics.plain), showsEachSeed: true))
        figures.append(FigureSpec(
            id: "param_count_vs_D", title: "Fig. 4a: parameters against bond dimension",
            kind: .metricVersus(metric: .parameterCount, x: bondDimensionKey, series: nil), xLabel: "D", yLabel: "parameters",
            filter: Configuration(Initializer.copyNode, Numerics.plain)))
        figures.append(FigureSpec(
            id: "train_loss_vs_epoch_D6", title: "training loss, D = 6",
            kind: .curve(name: Metric.trainLoss.name, series: Initializer.key), xLabel: "epoch", yLabel: "cross-entropy (nats)",
            logY: true, filter: Configuration(Numerics.plain).with(bondDimensionKey, 6)))
        return figures
    }

    public func plan(for tier: Tier) -> TierPlan {
        let inits: [Initializer] = Initializer.matched + [.copyNode]
        let numerics = Configuration.axis(Numerics.allCases)
        switch tier {
        case .smoke:
            return TierPlan(
                configurations: Configuration.grid([Configuration.axis([Initializer.glorot, .copyNode]), (bondDimensionKey, [2]), numerics]),
                seeds: 1, summary: "600 images (480/120), 1 epoch, D = 2",
                settings: settings(trainCount: 600, testCount: 200, epochs: 1))
        case .ci:
            let grid = Configuration.grid([Configuration.axis(inits), (bondDimensionKey, [2, 6, 10]), numerics])
            let literal = Configuration.grid([Configuration.axis([Initializer.copyNodeV10]), (bondDimensionKey, [6]), numerics])
            return TierPlan(
                configurations: grid + literal, seeds: 3,
                summary: "15,000 images (12,000/3,000), 10,000 test, 10 epochs, D ∈ {2, 6, 10}",
                settings: settings(trainCount: 15_000, testCount: 10_000, epochs: 10))
        case .paper:
            return TierPlan(
                configurations: Configuration.grid([Configuration.axis(inits), (bondDimensionKey, (2...10).map { .int($0) }), numerics]),
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

    public func findings(_ results: [MetricSummary]) -> [Finding] {
        func matched(_ numerics: Numerics) -> [MetricSummary] {
            results.of(.validationError, where: Configuration(numerics))
                .filter { $0.configuration.string(Initializer.key).flatMap(Initializer.init(rawValue:)).map(Initializer.matched.contains) ?? false }
        }
        var findings = [Finding]()
        // Plateau: final validation error within 0.1 of chance (0.9). "Trains": below 0.5 — fixed from
        // the paper, not from our results: Fig. 3b's copy-node curves leave chance for every D and
        // D = 10 is below 5% after ~20 epochs (≈ 30,000 Adam steps); the ci tier gives 3,750 steps,
        // and a model that trains as the paper's does is expected to have at least halved the chance
        // error by then.
        for numerics in Numerics.allCases {
            let plateau = matched(numerics)
            let copy = results.of(.validationError, where: Configuration(numerics, Initializer.copyNode))
            let holds: Bool? = plateau.isEmpty || copy.isEmpty
                ? nil : plateau.allSatisfy { $0.mean > 0.8 } && copy.allSatisfy { $0.mean < 0.5 }
            findings.append(Finding(
                statement: "Glorot/He/LeCun stay on a plateau while copy-node trains at every D (\(numerics.rawValue) numerics)",
                holds: holds, detail: (plateau + copy).map { $0.described() }.joined(separator: "; ")))
        }
        // Whether the plateau is a float artifact: trains under logscaled but not under plain.
        let plainStuck = matched(.plain), scaledStuck = matched(.logscaled)
        if !plainStuck.isEmpty && !scaledStuck.isEmpty {
            let artifact = plainStuck.allSatisfy { $0.mean > 0.8 } && scaledStuck.contains { $0.mean < 0.5 }
            findings.append(Finding(
                statement: "The Glorot/He/LeCun plateau is a floating-point artifact (it disappears under log-scaled numerics)",
                holds: artifact,
                detail: artifact
                    ? "trains under logscaled: " + scaledStuck.filter { $0.mean < 0.5 }.map { $0.described() }.joined(separator: "; ")
                    : "still on the plateau under exact log-scaled contraction, so the plateau is not a float32 under/overflow "
                        + "artifact: the matched variance gives outputs of order 2^(−L/2) and gradients far below Adam's ε "
                        + "(see init_log10_output). " + scaledStuck.map { $0.described() }.joined(separator: "; ")))
        }
        // Copy-node at D ≥ 6 beats 5% test error: the paper's statement at its data size and epochs;
        // at a reduced protocol the statement names the protocol run, and is judged either way.
        let copyTest = results.of(.testError, where: Configuration(Initializer.copyNode, Numerics.plain))
            .filter { ($0.configuration.int(bondDimensionKey) ?? 0) >= 6 }
        let images = results.of(.trainImages).map(\.mean).min() ?? 0
        let epochs = results.of(.epochs).map(\.mean).min() ?? 0
        let paperProtocol = images >= 48_000 && epochs >= 100
        findings.append(Finding(
            statement: "Copy-node initialization at D ≥ 6 beats 5% test error (the S&S m = 10 reference)"
                + (paperProtocol ? "" : " within this run's reduced protocol (\(Int(images)) images, \(Int(epochs)) epochs; the paper's: 48,000, 100)"),
            holds: copyTest.isEmpty ? nil : copyTest.allSatisfy { $0.mean < 0.05 },
            detail: copyTest.map { $0.described() }.joined(separator: "; ")))
        return findings
    }
}
