import Datasets
import Harness
import TensorCore
import TensorNetworks

/// TNBench's own implementation: an ``MPSClassifier`` in single precision, started from the
/// training images' principal subspaces and trained by ``TwoSiteSweeper``'s two-site sweeps
/// (conjugate gradients per bond, per-input environment normalization), under the harness's
/// ``TrainingLoop`` in quarter sweeps: an end of the chain to the centre, or back. It resumes
/// from the harness's checkpoint after a kill (``Resumption``) with the numbers of an
/// uninterrupted run.
public struct NativeStoudenmireMPS: Implementation {
    public init() {}

    public var name: String { "native" }

    public func train(
        _ inputs: StoudenmireMPSProblem.Inputs, for problem: StoudenmireMPSProblem, in context: RunContext
    ) throws -> Predictions {
        let trainFeatures: Tensor<Float> = inputs.featureMap.siteFeatures(inputs.train.flattened(order: inputs.order))
        let testFeatures: Tensor<Float> = inputs.featureMap.siteFeatures(inputs.test.flattened(order: inputs.order))
        let sweeper = try makeSweeper(inputs, problem: problem, trainFeatures: trainFeatures, context: context)
        let setupFlops = sweeper.flops

        // Each sweep moves the label 0 → L−1 → 0; the classifier is measured whenever the label
        // passes the centre (it is weakest at the chain's ends), and the last sweep stops there,
        // so the stored model has its label at the centre: 4 quarters a sweep, 3 in the last.
        var observer = CentrePassObserver(
            problem: problem, inputs: inputs, context: context, sweeper: sweeper,
            trainFeatures: trainFeatures, testFeatures: testFeatures)
        let loop = TrainingLoop(
            rounds: 4 * inputs.sweeps - 1, unit: "quarter sweep", timer: "sweeps", samples: Metric.sweepSeconds.samples,
            lossCurve: nil)
        var done = 0
        // An m = 120 paper job runs for most of an hour: the harness checkpoints it between
        // quarter sweeps (the cores and label site; the environments are recomputed on resume).
        let resumption = Resumption(
            save: {
                var state = TrainingState()
                sweeper.save(into: &state)
                state.set("bond_updates", count: done)
                return state
            },
            restore: { state in
                try sweeper.restore(from: state)
                done = try state.count("bond_updates")
            })
        let outcome = try loop.run(context, observer: &observer, resumption: resumption) { round in
            let quarter = (round.index - 1) % 4
            let progress = { (fraction: Double) in try round.progress(fraction, quarter < 2 ? "→" : "←") }
            let report = switch quarter {
            case 0: try sweeper.sweepRight(stoppingAt: inputs.centre, progress: progress)
            case 1: try sweeper.sweepRight(progress: progress)
            case 2: try sweeper.sweepLeft(stoppingAt: inputs.centre, progress: progress)
            default: try sweeper.sweepLeft(progress: progress)
            }
            done += report.steps
            if let cost = report.loss, !cost.isFinite {
                throw Divergence("the cost became \(cost) after \(done) bond updates")
            }
            return report
        }
        context.addFlops(setupFlops)
        recordSpeed(outcome, observer: observer, sweepFlops: sweeper.flops - setupFlops, inputs: inputs, context: context)
        context.record(.truncationError, observer.lastTruncation)
        context.record(.parameterCount, Double(sweeper.mps.parameterCount))
        // The stored MPS evaluated as anyone would, f^ℓ(x) = W^ℓ·Φ(x) with no normalization: the
        // same arg max as the normalized outputs the sweeps fit, hence the same test error.
        let plain = sweeper.mps.evaluate(features: testFeatures)
        context.record(.storedModelTestError, Classification.errorRate(predicted: plain.argmaxRows(), labels: inputs.test.labels))
        recordModel(sweeper.mps, inputs: inputs, context: context)
        return observer.last ?? Predictions()
    }

    /// The starting MPS, built from a seeded subset of the training images (all of them below
    /// `init_count`) with the label on site 0, brought into sweeping form.
    private func makeSweeper(
        _ inputs: StoudenmireMPSProblem.Inputs, problem: StoudenmireMPSProblem, trainFeatures: Tensor<Float>, context: RunContext
    ) throws -> TwoSiteSweeper<Float> {
        let train = inputs.train
        let initial = try problem.startingMPS(inputs, in: context)
        let options = SweepOptions(
            truncation: Truncation(maxBondDimension: inputs.bondDimension, relativeCutoff: 1e-10),
            conjugateGradientSteps: inputs.conjugateGradientSteps, workers: inputs.workers, normalization: .perInput,
            solver: inputs.solver.local, label: inputs.label.placement,
            labelEnvironmentStride: labelEnvironmentStride(inputs, labelCount: train.classCount))
        let sweeper = try context.measure("setup") {
            try TwoSiteSweeper(mps: initial, features: trainFeatures, labels: train.labels, options: options, rescaleOutputs: true)
        }.value
        context.setAttribute("label_movement", .string(inputs.label == .moving
            ? "moves with the sweep; measured and stored at the centre site \(inputs.centre)"
            : "fixed on the centre site \(inputs.centre)"))
        if let stride = options.labelEnvironmentStride { context.setAttribute("label_environment_stride", .int(stride)) }
        context.setAttribute("environment_normalization", .string(options.normalization.rawValue))
        context.setAttribute("workers", .int(inputs.workers))
        context.setAttribute("local_solver", .string("\(options.solver.rawValue), \(options.conjugateGradientSteps) iteration(s) per bond"))
        return sweeper
    }

    /// With a fixed label, the environments between a bond and the centre carry the label,
    /// N·C·m floats each and up to L/2 of them: past 4 GiB, only every k-th is kept (k ≈ √(L/2),
    /// ``SweepOptions/labelEnvironmentStride``), which changes no number.
    private func labelEnvironmentStride(_ inputs: StoudenmireMPSProblem.Inputs, labelCount: Int) -> Int? {
        guard inputs.label == .fixed else { return nil }
        let bytes = Double(inputs.train.count * labelCount * inputs.bondDimension) * Double(inputs.sites / 2) * 4
        guard bytes > 4 * 1_073_741_824 else { return nil }
        return Int(Double(inputs.sites / 2).squareRoot().rounded(.up))
    }

    /// `sweep_seconds` and `gflops`. A full sweep is 2(L−1) bond updates; the last sweep stops at
    /// the centre, so it is timed whole only when it is the only one (then scaled to 2(L−1) updates).
    private func recordSpeed(
        _ outcome: TrainingOutcome, observer: CentrePassObserver, sweepFlops: Double,
        inputs: StoudenmireMPSProblem.Inputs, context: RunContext
    ) {
        let sites = inputs.sites
        let secondsPerSweep: Double
        if observer.fullSweepSeconds.isEmpty {
            let lastUpdates = (sites - 1) + (sites - 1 - inputs.centre)
            secondsPerSweep = observer.sweepSeconds / Double(lastUpdates) * Double(2 * (sites - 1))
            context.setAttribute("sweep_seconds_basis", "the only sweep, stopped at the centre, scaled to 2(L-1) bond updates")
        } else {
            secondsPerSweep = Statistics.mean(observer.fullSweepSeconds)
            context.setAttribute("sweep_seconds_basis", .string("mean of \(observer.fullSweepSeconds.count) full sweep(s), timed whole"))
        }
        context.record(.sweepSeconds, secondsPerSweep)
        let seconds = outcome.trainingSeconds
        context.record(.gflops, seconds > 0 ? sweepFlops / seconds / 1e9 : 0)
    }

    /// The trained model, reloadable elsewhere: the bond dimensions and every core in site order.
    private func recordModel(_ mps: MPSClassifier<Float>, inputs: StoudenmireMPSProblem.Inputs, context: RunContext) {
        context.record(array: "bond_dimensions", shape: [inputs.sites + 1], values: mps.bondDimensions.map(Double.init))
        for (j, core) in mps.cores.enumerated() {
            context.record(tensor: "mps/core_\(String(repeating: "0", count: 3 - String(j).count))\(j)", core, attributes: [
                "layout": j == mps.labelSite ? "[left, physical, label, right]" : "[left, physical, right]",
            ])
        }
        context.setAttribute("label_site", .int(mps.labelSite))
        let pooling = switch inputs.pooling {
        case .average: "2x2 average pooling"
        case .tnmlUInt8: "2x2 pooling as the authors' code: 8-bit wrapping sum / 4"
        }
        context.setAttribute("feature_map", .string("phi(x) = [cos(pi x / 2), sin(pi x / 2)], x = pixel / 255 after \(pooling)"))
        context.setAttribute("site_order", .string(inputs.order.rawValue))
    }
}

/// After each quarter sweep: when the label has just reached the centre (quarters 1 and 3 of a
/// sweep), the problem evaluates both sets' class scores and the curves get the cost after the
/// centre bond's update and the largest truncation since the previous point; after a full sweep,
/// its seconds.
struct CentrePassObserver: TrainingObserver {
    let problem: StoudenmireMPSProblem
    let inputs: StoudenmireMPSProblem.Inputs
    let context: RunContext
    let sweeper: TwoSiteSweeper<Float>
    let trainFeatures: Tensor<Float>
    let testFeatures: Tensor<Float>
    /// The largest relative discarded weight since the previous point, and at the last point.
    var truncation = 0.0, lastTruncation = 0.0
    /// The seconds of the sweep in progress, and of each full sweep done.
    var sweepSeconds = 0.0, fullSweepSeconds: [Double] = []
    /// The predictions of the last evaluation (the final model's: training ends at the centre).
    var last: Predictions?

    mutating func measure(at point: TrainingPoint) throws -> TrainingDecision {
        guard case .endOfRound(let round, let report, let seconds) = point else { return .proceed }
        truncation = Swift.max(truncation, report.truncationError ?? 0)
        sweepSeconds += seconds
        let (sweep, quarter) = ((round - 1) / 4, (round - 1) % 4)
        switch quarter {
        case 0, 2:
            let x = Double(sweep) + (quarter == 0 ? 0.5 : 1)
            let predictions = Predictions([
                "train": .float(sweeper.mps.normalizedOutputs(features: trainFeatures)),
                "test": .float(sweeper.mps.normalizedOutputs(features: testFeatures)),
            ])
            try problem.evaluate(predictions, at: .round(round, x: x), of: inputs, in: context)
            context.append("cost", x: x, y: report.loss ?? 0)
            context.append(Metric.truncationError.name, x: x, y: truncation)
            if quarter == 2 { lastTruncation = truncation }
            truncation = 0
            last = predictions
        case 3:
            fullSweepSeconds.append(sweepSeconds)
            context.append(Metric.sweepSeconds.name, x: Double(sweep + 1), y: sweepSeconds)
            sweepSeconds = 0
        default:
            break
        }
        return .proceed
    }

    func save(into state: inout TrainingState) {
        state.set("observer/truncation", doubles: [truncation, lastTruncation, sweepSeconds])
        state.set("observer/full_sweep_seconds", doubles: fullSweepSeconds)
    }

    mutating func restore(from state: TrainingState) throws {
        let values = try state.doubles("observer/truncation")
        guard values.count == 3 else { throw TrainingStateError("observer/truncation: \(values.count) values") }
        (truncation, lastTruncation, sweepSeconds) = (values[0], values[1], values[2])
        fullSweepSeconds = try state.doubles("observer/full_sweep_seconds")
    }
}
