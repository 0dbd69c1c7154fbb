import Foundation
import TensorCore

/// Deterministic generators for the synthetic sets of Jahromi & Orús, "Variational tensor neural
/// networks for deep learning" (arXiv:2211.14657). The paper does not state its generators; the
/// defaults below follow `Baselines`' `jahromi-tnn-*` entries (the scikit-learn and CS231n
/// generators the authors' Python code most plausibly used), and the values are part of the
/// benchmark's definition: changing one changes every result that uses it.
///
/// Each generator consumes randomness only from `rng`, in a fixed order, so a seed fixes the data.
public enum Synthetic {
    /// Two isotropic Gaussian blobs, 2 features, labels 0/1 — scikit-learn's
    /// `make_blobs(n_samples: count, centers: 2, cluster_std: 1.0, center_box: (-10, 10))`, then
    /// min-max scaled into [0, 1] per feature (the paper's `0 ≤ x₁, x₂ ≤ 1`).
    ///
    /// The paper uses 600 points: 500 to train, 100 to test. Blob `c` gets `count / 2` points
    /// (blob 0 one more when `count` is odd); rows are then shuffled, as `make_blobs` does, so
    /// any prefix is a random sample.
    /// - Parameters:
    ///   - count: the number of points.
    ///   - clusterStandardDeviation: σ of each blob before scaling (default 1.0, scikit-learn's).
    ///   - centerBox: each center coordinate is uniform in `[-centerBox, centerBox]` (default 10).
    ///   - minimumSeparation: the second center is redrawn until it is at least this many σ from
    ///     the first (default 6, so the Bayes error is at most Φ(−3) ≈ 0.13%: the paper's blobs
    ///     have "almost no overlap" and it reports 99% accuracy; `make_blobs` has no such guard).
    ///   - rng: the generator.
    public static func gaussianBlobs(count: Int, clusterStandardDeviation: Double = 1.0, centerBox: Double = 10,
                                     minimumSeparation: Double = 6, rng: inout Philox) -> TabularSet {
        precondition(count >= 2, "gaussianBlobs needs at least 2 points, got \(count)")
        func center() -> (Double, Double) {
            (centerBox * (2 * rng.nextUniform() - 1), centerBox * (2 * rng.nextUniform() - 1))
        }
        let first = center()
        var second = center()
        while hypot(second.0 - first.0, second.1 - first.1) < minimumSeparation * clusterStandardDeviation {
            second = center()
        }
        var rows: [(Double, Double, Int)] = []
        for (label, c) in [first, second].enumerated() {
            let n = count / 2 + (label == 0 ? count % 2 : 0)
            for _ in 0..<n {
                rows.append((c.0 + clusterStandardDeviation * rng.nextNormal(),
                             c.1 + clusterStandardDeviation * rng.nextNormal(), label))
            }
        }
        rng.shuffle(&rows)
        let set = TabularSet(features: Tensor(shape: [count, 2], scalars: rows.flatMap { [$0.0, $0.1] }),
                             labels: rows.map(\.2), featureNames: ["x1", "x2"], classNames: ["0", "1"])
        return set.minMaxScaled()
    }

    /// Interleaved spiral arms, one class per arm, 2 features in [−1, 1] — the CS231n generator:
    /// arm `k` has points `i = 0..<n`, radius `r = i/(n−1)`, angle
    /// `θ = 4k + 4·i/(n−1) + noise·N(0, 1)` (radians), and `x = (r·sin θ, r·cos θ)`.
    ///
    /// The paper uses 3 arms of 200 points (600). Rows are ordered arm by arm, not shuffled.
    /// - Parameters:
    ///   - count: the total number of points; arm `k` gets `count / arms` (the first
    ///     `count % arms` arms one more).
    ///   - arms: the number of arms and classes (default 3, the paper's).
    ///   - noise: σ of the angular noise in radians (default 0.2, CS231n's).
    ///   - rng: the generator.
    public static func spirals(count: Int, arms: Int = 3, noise: Double = 0.2, rng: inout Philox) -> TabularSet {
        precondition(arms >= 1 && count >= arms, "spirals needs arms ≥ 1 and count ≥ arms, got \(count), \(arms)")
        var values: [Double] = [], labels: [Int] = []
        for arm in 0..<arms {
            let n = count / arms + (arm < count % arms ? 1 : 0)
            for i in 0..<n {
                let t = n > 1 ? Double(i) / Double(n - 1) : 0
                let theta = 4 * Double(arm) + 4 * t + noise * rng.nextNormal()
                values += [t * sin(theta), t * cos(theta)]
                labels.append(arm)
            }
        }
        return TabularSet(features: Tensor(shape: [count, 2], scalars: values), labels: labels,
                          featureNames: ["x1", "x2"], classNames: (0..<arms).map(String.init))
    }

    /// Points around a line: `x ~ U[0, 1]`, `y = slope·x + intercept + U(−noise, noise)`.
    ///
    /// The paper's line (Fig. 15) is `y = 0.55x + 0.20` with 400 points and "uniform random
    /// noise" of unstated size; the default half-width 0.1 (σ ≈ 0.058) matches the figure's
    /// scatter. One feature `x`; the targets are `y`.
    /// - Parameters:
    ///   - count: the number of points (the paper's: 400).
    ///   - slope: default 0.55; `intercept`: default 0.20 (the paper's).
    ///   - noise: the half-width of the uniform noise (default 0.1).
    ///   - rng: the generator (per point: `x`, then the noise).
    public static func noisyLine(count: Int, slope: Double = 0.55, intercept: Double = 0.20,
                                 noise: Double = 0.1, rng: inout Philox) -> TabularSet {
        var x: [Double] = [], y: [Double] = []
        for _ in 0..<count {
            let xi = rng.nextUniform()
            x.append(xi)
            y.append(slope * xi + intercept + noise * (2 * rng.nextUniform() - 1))
        }
        return TabularSet(features: Tensor(shape: [count, 1], scalars: x), targets: y, featureNames: ["x"])
    }

    /// Points around a sine: `x ~ U[0, 2π]`, `y = sin x + U(−noise, noise)`.
    ///
    /// The paper (Fig. 16) uses 400 points and unstated uniform noise; the default half-width
    /// 0.2 gives noise variance `0.2²/3 ≈ 0.0133`, the floor of any fit's test MSE.
    /// - Parameters:
    ///   - count: the number of points (the paper's: 400).
    ///   - noise: the half-width of the uniform noise (default 0.2).
    ///   - rng: the generator (per point: `x`, then the noise).
    public static func noisySine(count: Int, noise: Double = 0.2, rng: inout Philox) -> TabularSet {
        var x: [Double] = [], y: [Double] = []
        for _ in 0..<count {
            let xi = 2 * Double.pi * rng.nextUniform()
            x.append(xi)
            y.append(sin(xi) + noise * (2 * rng.nextUniform() - 1))
        }
        return TabularSet(features: Tensor(shape: [count, 1], scalars: x), targets: y, featureNames: ["x"])
    }
}
