import Harness
import NeuralLayers

/// The training scheme (configuration key `strategy`) of Jahromi & Orús's two TNN suites,
/// shared by TNNClassification and TNNRegression (no suite imports another): the paper's
/// partial-all-layer sweeps or its layer-by-layer alternative (see "PaL and LbL" in each suite).
public enum Strategy: String, ConfigurationAxis {
    case pal, lbl
    public static let key = "strategy"

    /// LbL sweeps each TN layer once per sweep, so that an LbL sweep makes the same pair updates
    /// of every MPO as a PaL sweep.
    public static let lblSweepsPerLayer = 1

    /// The trainer's scheme.
    public var scheme: TNNTrainer.Strategy {
        switch self {
        case .pal: .partialAllLayer
        case .lbl: .layerByLayer(sweepsPerLayer: Self.lblSweepsPerLayer)
        }
    }

    /// The configurations of the LbL results without `strategy`, each once, by name: the bases
    /// whose PaL and LbL runs a finding compares.
    public static func pairedBases(_ results: [MetricSummary]) -> [Configuration] {
        var bases: [Configuration] = []
        for result in results where result.configuration[Strategy.self] == .lbl {
            var base = result.configuration
            base[Strategy.key] = nil
            if !bases.contains(base) { bases.append(base) }
        }
        return bases.sorted { $0.name < $1.name }
    }
}

/// The configuration key of the bond dimension D of the TN layers.
public let bondDimensionKey = "D"
