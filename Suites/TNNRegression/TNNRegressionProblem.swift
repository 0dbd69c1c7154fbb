import Datasets
import Harness
import NeuralLayers
import TensorCore
import TNNProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data sets, as configuration values spell them.
enum Dataset: String, ConfigurationAxis {
    case line, sine
    static let key = "dataset"

    /// The noiseless function.
    func truth(_ x: Double) -> Double {
        switch self {
        case .line: 0.55 * x + 0.20
        case .sine: sin(x)
        }
    }
}

/// The sine network's output activation (configuration key `output`).
enum Output: String, ConfigurationAxis {
    case relu, linear
    static let key = "output"

    var activation: Activation { self == .relu ? .relu : .linear }
}

extension Metric {
    static let slope = Metric("slope", .largerIsBetter, kind: .informational, unit: "1", practicalMargin: 0.03,
                              description: "slope of the least-squares line through the predictions on [0, 1] (line; true 0.55)")
    static let intercept = Metric("intercept", .largerIsBetter, kind: .informational, unit: "1", practicalMargin: 0.02,
                                  description: "intercept of that line (line; true 0.20)")
    static let slopeError = Metric("slope_error", .smallerIsBetter, kind: .quality, unit: "1", practicalMargin: 0.03,
                                   description: "|slope − 0.55| (line)")
    static let interceptError = Metric("intercept_error", .smallerIsBetter, kind: .quality, unit: "1", practicalMargin: 0.02,
                                       description: "|intercept − 0.20| (line)")
    static let mse = Metric("mse", .smallerIsBetter, kind: .quality, unit: "1", practicalMargin: 0.005,
                            description: "mean squared error against the noiseless function on a 201-point grid")
    static let trainMSE = Metric("train_mse", .smallerIsBetter, kind: .quality, unit: "1", practicalMargin: 0.005,
                                 description: "final training MSE against the noisy targets")
    static let noiseVariance = Metric("noise_variance", .smallerIsBetter, kind: .informational, unit: "1",
                                      description: "variance of the data's uniform noise (the floor of train_mse)")
    static let nonnegativeFloor = Metric("nonnegative_floor", .smallerIsBetter, kind: .informational, unit: "1",
                                         description: "the smallest mse any non-negative output can reach (sine, ReLU output): mean of min(sin x, 0)² on the grid")
}

/// Jahromi & Orús's regression problem (Sec. V): a noisy line or a noisy sine, the protocol's
/// settings, and the fit of an implementation's outputs — MSE against the noiseless function,
/// training MSE, the line read off the predictions (see ``TNNRegressionSuite``).
public struct TNNRegressionProblem: Problem {
    /// What an implementation trains on. Predictions (one output per row) are asked for on the
    /// sets `train` (``data``), `grid` (``grid``) and, for the line, `line` (``lineGrid``).
    public struct Inputs {
        let dataset: Dataset
        let strategy: Strategy
        /// The sine network's output activation; nil for the line.
        let output: Output?
        /// D, the bond dimension of the TN layers.
        public let bondDimension: Int
        /// α, the plain gradient-descent step.
        public let learningRate: Double
        public let sweeps: Int
        /// The noisy training points `(x, y)`.
        public let data: TabularSet
        /// ``data``'s targets as `[n, 1]`.
        public let targets: Tensor<Double>
        /// 201 equally spaced x over the domain, `[201, 1]`: the fit against the noiseless function.
        public let grid: Tensor<Double>
        /// 101 equally spaced x in [0, 1], `[101, 1]`, for the line's slope and intercept; nil for the sine.
        public let lineGrid: Tensor<Double>?
        let noiseHalfWidth: Double
    }

    let suite = "TNNRegression"

    public func inputs(for context: RunContext) throws -> Inputs {
        let dataset = try context.parameters.choice(Dataset.self)
        let bondDimension = try context.parameters.int(bondDimensionKey, in: 1...)
        let strategy = try context.parameters.choice(Strategy.self)
        let output = dataset == .sine ? try context.parameters.choice(Output.self) : nil
        let learningRate = try context.settings.double("learning_rate", above: 0)
        let sweeps = try context.settings.int("\(dataset.rawValue)_sweeps", in: 1...)
        let count = try context.settings.int("train_count", in: 2...)

        // The stream is shared by PaL and LbL (paired runs; PaL's draws are those of the grid
        // without `strategy`).
        var dataRNG = context.rng("data", sharedAcross: [Strategy.key])
        let data: TabularSet, domain: (Double, Double), noiseHalfWidth: Double
        switch dataset {
        case .line:
            noiseHalfWidth = 0.1
            data = Synthetic.noisyLine(count: count, slope: 0.55, intercept: 0.20, noise: noiseHalfWidth, rng: &dataRNG)
            domain = (0, 1)
        case .sine:
            noiseHalfWidth = 0.2
            data = Synthetic.noisySine(count: count, noise: noiseHalfWidth, rng: &dataRNG)
            domain = (0, 2 * Double.pi)
        }
        let gridCount = 201
        let xs = (0..<gridCount).map { domain.0 + (domain.1 - domain.0) * Double($0) / Double(gridCount - 1) }
        let lineXs = (0...100).map { Double($0) / 100 }
        return Inputs(
            dataset: dataset, strategy: strategy, output: output, bondDimension: bondDimension, learningRate: learningRate,
            sweeps: sweeps, data: data, targets: Tensor(shape: [data.count, 1], scalars: data.targets),
            grid: Tensor(shape: [gridCount, 1], scalars: xs),
            lineGrid: dataset == .line ? Tensor(shape: [lineXs.count, 1], scalars: lineXs) : nil,
            noiseHalfWidth: noiseHalfWidth)
    }

    /// At the end: `mse` from the `grid` outputs, `train_mse` from the `train` outputs, the
    /// line's slope and intercept from the `line` outputs, and the data, fit and truth arrays.
    @discardableResult
    public func evaluate(_ predictions: Predictions, at checkpoint: Checkpoint, of inputs: Inputs, in context: RunContext) throws
        -> [Metric: Double]
    {
        guard checkpoint == .final else { return [:] }
        let xs = inputs.grid.scalars, gridCount = xs.count
        let fit = try outputs(predictions, "grid", count: gridCount)
        let train = try outputs(predictions, "train", count: inputs.data.count)
        let truth = inputs.dataset.truth
        let mse = zip(fit, xs).reduce(0.0) { $0 + ($1.0 - truth($1.1)) * ($1.0 - truth($1.1)) } / Double(gridCount)
        let squaredError: Loss = .meanSquaredError
        let trainMSE = squaredError(Tensor(shape: [train.count, 1], scalars: train), inputs.targets)
        var values: [Metric: Double] = [.mse: mse, .trainMSE: trainMSE]
        context.record(.mse, mse)
        context.record(.trainMSE, trainMSE)
        context.record(.noiseVariance, inputs.noiseHalfWidth * inputs.noiseHalfWidth / 3)
        if inputs.output == .relu {
            context.record(.nonnegativeFloor,
                           xs.reduce(0.0) { $0 + Swift.min(truth($1), 0) * Swift.min(truth($1), 0) } / Double(gridCount))
        }
        if let lineGrid = inputs.lineGrid {
            let lineXs = lineGrid.scalars
            let (slope, intercept) = Self.leastSquaresLine(x: lineXs, y: try outputs(predictions, "line", count: lineXs.count))
            context.record(.slope, slope)
            context.record(.intercept, intercept)
            context.record(.slopeError, abs(slope - 0.55))
            context.record(.interceptError, abs(intercept - 0.20))
            values[.slopeError] = abs(slope - 0.55)
            values[.interceptError] = abs(intercept - 0.20)
        }
        let data = inputs.data
        context.record(array: "points", shape: [data.count, 2],
                       values: (0..<data.count).flatMap { [data.features[$0, 0], data.targets[$0]] })
        context.record(array: "fit", shape: [gridCount, 2], values: zip(xs, fit).flatMap { [$0, $1] })
        context.record(array: "truth", shape: [gridCount, 2], values: xs.flatMap { [$0, truth($0)] })
        return values
    }

    /// The single output per row of `set`, in Double (a Float model's outputs widened).
    func outputs(_ predictions: Predictions, _ set: String, count: Int) throws -> [Double] {
        let scores = try predictions.scores(set, suite: suite)
        let (rows, columns, values): (Int, Int, [Double])
        switch scores {
        case .double(let t): (rows, columns, values) = (t.shape[0], t.count / Swift.max(t.shape[0], 1), t.scalars)
        case .float(let t): (rows, columns, values) = (t.shape[0], t.count / Swift.max(t.shape[0], 1), t.scalars.map(Double.init))
        }
        guard rows == count, columns == 1 else {
            throw SuiteInputError(suite: suite, "the implementation returned \(rows) × \(columns) \(set) outputs for \(count) × 1")
        }
        return values
    }

    /// The ordinary least-squares line `y ≈ slope·x + intercept`.
    static func leastSquaresLine(x: [Double], y: [Double]) -> (slope: Double, intercept: Double) {
        let n = Double(x.count)
        let meanX = x.reduce(0, +) / n, meanY = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - meanX) * (b - meanY)
            sxx += (a - meanX) * (a - meanX)
        }
        let slope = sxx > 0 ? sxy / sxx : 0
        return (slope, meanY - slope * meanX)
    }
}
