import TensorCore

/// Independent per-pixel normal distributions fitted to a set of images, clipped to the pixel
/// range: synthetic inputs for distilling a teacher on data it was not trained on (Piché 2023's
/// "gaussian epochs").
///
/// Fitted on images `[count, rows, columns]` with pixels in [0, 1]: for every pixel position p,
/// μ_p = mean over the images and σ_p = their standard deviation (population, 1/N). A sample is
///
///     x_p = clip(μ_p + σ_p·z_p, 0, 1),   z_p ~ N(0, 1) i.i.d.,
///
/// so a pixel that is always background (σ_p = 0) stays at its mean, and pixels are drawn without
/// correlation: the samples have MNIST's mean image and per-pixel spread, not its strokes.
///
/// ```swift
/// let gaussian = PixelGaussian(fittedTo: train)
/// var rng = context.rng("gaussian")
/// let inputs = gaussian.sample(count: 2_000, using: &rng)   // ImageSet, labels all 0
/// ```
public struct PixelGaussian: Sendable {
    /// μ_p, `[rows, columns]`.
    public var mean: Tensor<Float>
    /// σ_p, `[rows, columns]`.
    public var standardDeviation: Tensor<Float>

    public var rows: Int { mean.shape[0] }
    public var columns: Int { mean.shape[1] }

    /// Fits μ_p and σ_p to `images` (in `Double`).
    /// - Precondition: at least one image.
    public init(fittedTo images: ImageSet) {
        precondition(images.count >= 1, "PixelGaussian needs at least one image")
        let n = images.count, size = images.rows * images.columns
        var sum = [Double](repeating: 0, count: size), squares = [Double](repeating: 0, count: size)
        images.pixels.withUnsafeBufferPointer { x in
            for i in 0..<n {
                for p in 0..<size {
                    let v = Double(x[i * size + p])
                    sum[p] += v
                    squares[p] += v * v
                }
            }
        }
        let mu = sum.map { $0 / Double(n) }
        let sigma = zip(squares, mu).map { (Swift.max($0 / Double(n) - $1 * $1, 0)).squareRoot() }
        self.init(mean: Tensor(shape: [images.rows, images.columns], scalars: mu.map(Float.init)),
                  standardDeviation: Tensor(shape: [images.rows, images.columns], scalars: sigma.map(Float.init)))
    }

    /// - Precondition: both `[rows, columns]`, σ ≥ 0.
    public init(mean: Tensor<Float>, standardDeviation: Tensor<Float>) {
        precondition(mean.rank == 2 && mean.shape == standardDeviation.shape,
                     "PixelGaussian: mean \(mean.shape) and standard deviation \(standardDeviation.shape) must be the same [rows, columns]")
        precondition(standardDeviation.scalars.allSatisfy { $0 >= 0 }, "PixelGaussian: negative standard deviation")
        self.mean = mean
        self.standardDeviation = standardDeviation
    }

    /// `count` images x_p = clip(μ_p + σ_p·z_p, 0, 1), drawn image by image, pixel by pixel in
    /// row-major order from `rng`; their labels are all 0 (they have none).
    public func sample(count: Int, using rng: inout Philox) -> ImageSet {
        precondition(count >= 0, "PixelGaussian: negative sample count \(count)")
        let size = rows * columns
        let mu = mean.scalars, sigma = standardDeviation.scalars
        var pixels = [Float](repeating: 0, count: count * size)
        for i in 0..<count {
            for p in 0..<size {
                let v = Double(mu[p]) + Double(sigma[p]) * rng.nextNormal()
                pixels[i * size + p] = Float(Swift.min(Swift.max(v, 0), 1))
            }
        }
        return ImageSet(pixels: Tensor(shape: [count, rows, columns], scalars: pixels),
                        labels: [Int](repeating: 0, count: count), classCount: 10)
    }
}
