import TensorCore

/// A matrix product state with one extra "label" leg: the classifier
/// f^ℓ(x) = W^ℓ · Φ(x) of Stoudenmire & Schwab (2016) and of Barratt et al.
///
/// Core `j` has shape `[D_j, d, D_{j+1}]`, except the core at ``labelSite``, which has shape
/// `[D_j, d, C, D_{j+1}]` (the label leg of extent C = ``labelCount`` after the physical leg).
/// Open boundaries: D₀ = D_L = 1.
///
/// The number of parameters is Σ_j D_j·d·D_{j+1} (times C at the label site); for a uniform
/// bond dimension D with the label on the first core and L = 196, d = 2, C = 10, that is
/// 388D² + 22D (Barratt et al.).
public struct MPSClassifier<Scalar: BLASScalar>: Sendable {
    public var cores: [Tensor<Scalar>]
    /// The site whose core carries the label leg.
    public var labelSite: Int
    public let labelCount: Int
    public let featureMap: FeatureMap

    public init(cores: [Tensor<Scalar>], labelSite: Int, labelCount: Int, featureMap: FeatureMap) {
        precondition(!cores.isEmpty && labelSite >= 0 && labelSite < cores.count, "label site \(labelSite) outside 0..<\(cores.count)")
        self.cores = cores
        self.labelSite = labelSite
        self.labelCount = labelCount
        self.featureMap = featureMap
        validate()
    }

    /// The number of sites L.
    public var siteCount: Int { cores.count }
    /// The physical dimension d.
    public var physicalDimension: Int { featureMap.dimension }

    /// The bond dimensions D₀ … D_L (D₀ = D_L = 1).
    public var bondDimensions: [Int] { [cores[0].shape[0]] + cores.map { $0.shape.last! } }

    /// The number of scalars in all cores.
    public var parameterCount: Int { cores.reduce(0) { $0 + $1.count } }

    /// Checks that neighbouring cores agree and the label core has its leg.
    public func validate() {
        for (j, core) in cores.enumerated() {
            let expectedRank = j == labelSite ? 4 : 3
            precondition(core.rank == expectedRank, "core \(j) has shape \(core.shape); expected rank \(expectedRank)")
            precondition(core.shape[1] == physicalDimension, "core \(j) has physical extent \(core.shape[1]), feature map gives \(physicalDimension)")
            if j == labelSite { precondition(core.shape[2] == labelCount, "label core \(j) has shape \(core.shape), label count \(labelCount)") }
            if j > 0 { precondition(cores[j - 1].shape.last! == core.shape[0], "bond \(j): \(cores[j - 1].shape) then \(core.shape)") }
        }
        precondition(cores[0].shape[0] == 1 && cores.last!.shape.last! == 1, "open boundaries need D₀ = D_L = 1")
    }

    /// f^ℓ(x) for every input of a batch: `features` is [L, count, d] (see
    /// ``FeatureMap/siteFeatures(_:as:)``); the result is [count, C].
    ///
    /// Contracts left and right environments toward the label site, one GEMM per site
    /// (``Environment``), in chunks of `chunkSize` inputs so memory stays bounded.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func evaluate(features: Tensor<Scalar>, chunkSize: Int = 4096) -> Tensor<Scalar> {
        evaluate(features: features, chunkSize: chunkSize, normalizingEachInput: false)
    }

    /// f^ℓ(x) / (‖L(x)‖·‖R(x)‖) with L, R the environments of the label site: the outputs up
    /// to a positive factor per input, so the same arg max, and free of the underflow that a
    /// product over hundreds of sites meets in single precision. Environment vectors are scaled to
    /// unit norm after every site.
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func normalizedOutputs(features: Tensor<Scalar>, chunkSize: Int = 4096) -> Tensor<Scalar> {
        evaluate(features: features, chunkSize: chunkSize, normalizingEachInput: true)
    }

    private func evaluate(features: Tensor<Scalar>, chunkSize: Int, normalizingEachInput: Bool) -> Tensor<Scalar> {
        precondition(features.rank == 3 && features.shape[0] == siteCount && features.shape[2] == physicalDimension,
                     "features must be [\(siteCount), count, \(physicalDimension)], got \(features.shape)")
        let count = features.shape[1], c = labelCount
        var output = Tensor<Scalar>(zeros: [count, c])
        var start = 0
        while start < count {
            let rows = Swift.min(chunkSize, count - start)
            let left = Environment.leftEnvironment(
                of: self, upTo: labelSite, features: features, rows: start..<(start + rows), normalizingRows: normalizingEachInput)
            let right = Environment.rightEnvironment(
                of: self, downTo: labelSite + 1, features: features, rows: start..<(start + rows), normalizingRows: normalizingEachInput)
            let values = Environment.labelOutputs(
                left: left, core: cores[labelSite], right: right,
                features: features, site: labelSite, rows: start..<(start + rows))
            output.withUnsafeMutableBufferPointer { out in
                values.withUnsafeBufferPointer { v in
                    (out.baseAddress! + start * c).update(from: v.baseAddress!, count: rows * c)
                }
            }
            start += rows
        }
        return output
    }

    /// The predicted class (arg max over ℓ of f^ℓ) of each input (from ``normalizedOutputs(features:chunkSize:)``).
    @_specialize(exported: true, where Scalar == Float)
    @_specialize(exported: true, where Scalar == Double)
    public func predict(features: Tensor<Scalar>) -> [Int] {
        normalizedOutputs(features: features).argmaxRows()
    }
}
