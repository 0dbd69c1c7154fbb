import TensorCore

/// A stride-1 2-D convolution of a batch of NHWC images, `y = x ⋆ K + b`.
///
///     y[n, oy, ox, o] = b[o] + Σ_{dy, dx, c} x[n, oy + dy − padTop, ox + dx − padLeft, c] · K[dy, dx, c, o]
///
/// (a cross-correlation, as every deep-learning framework's "convolution"; `x` is zero outside
/// the image). The kernel has TensorFlow's HWIO layout `[kh, kw, cIn, cOut]`, which reshaped is
/// the GEMM matrix `[kh·kw·cIn, cOut]`; the optional bias is `[cOut]`. Input `[batch, H, W, cIn]`,
/// output `[batch, Ho, Wo, cOut]` with `Ho = H`, `Wo = W` for ``Padding/same`` and
/// `Ho = H − kh + 1`, `Wo = W − kw + 1` for ``Padding/valid``.
///
/// **Forward.** Two ways, chosen by shape alone (``usesDirectLoop(_:outputChannels:)``), so the
/// numbers do not depend on the machine:
/// - *direct* (output rows of at least 8 pixels, at most 16 output channels: LeNet-5's first two
///   convolutions): the C loop of `LayerKernels.convolve`, which vectorizes over the pixels of an
///   output row and sums each output from the bias up, tap by tap. A GEMM of the patch matrix
///   with so few columns (`cOut`) runs far below the machine's rate, and writing the patch matrix
///   cost more than the product;
/// - *patch matrix*: over blocks of whole images of about 256 KiB of patches, the block's patch
///   matrix `P = im2col(x)` `[images·Ho·Wo, kh·kw·cIn]` (see `ConvolutionGeometry`), then the GEMM
///   `Y = P·K` into an output pre-filled with the bias; the block is read from cache right after
///   it was written.
///
/// The cache is the input itself: no patch matrix outlives its block.
///
/// **Backward.** With `G = ∂L/∂Y` `[batch·Ho·Wo, cOut]`: the kernel gradient of the direct
/// shapes in C (`LayerKernels.kernelGradient`: 16 partial sums over the pixels, then a fixed
/// tree), of the others block by block (the block's `P` again, `∂L/∂Kᵀ += G_blockᵀ·P`, a GEMM
/// accumulating into `cOut × K`, blocks in order); when asked, block by block,
/// `∂L/∂x = col2im(G_block·Kᵀ)`; `∂L/∂b = Σ_rows G`.
///
/// ```swift
/// var rng = Philox(seed: 1)
/// let conv = Conv2D<Float>(kernelHeight: 5, kernelWidth: 5, inputChannels: 1, outputChannels: 6,
///                          padding: .same, standardDeviation: 0.1, using: &rng)
/// let (y, cache) = conv.forward(images)       // images: [100, 28, 28, 1] → y: [100, 28, 28, 6]
/// ```
public struct Conv2D<Scalar: BLASScalar>: NeuralLayer {
    /// `[kh, kw, cIn, cOut]`.
    public var kernel: Tensor<Scalar>
    /// `[cOut]`, or `nil` for a convolution without bias.
    public var bias: Tensor<Scalar>?
    public var padding: Padding

    /// - Precondition: `kernel` is `[kh, kw, cIn, cOut]` with every extent ≥ 1 and `bias`, if
    ///   any, is `[cOut]`.
    public init(kernel: Tensor<Scalar>, bias: Tensor<Scalar>?, padding: Padding) {
        precondition(kernel.rank == 4 && kernel.shape.allSatisfy { $0 >= 1 },
                     "Conv2D: kernel \(kernel.shape) is not [kernelHeight, kernelWidth, inputChannels, outputChannels]")
        precondition(bias == nil || bias!.shape == [kernel.shape[3]],
                     "Conv2D: bias \(bias!.shape) is not [\(kernel.shape[3])] for kernel \(kernel.shape)")
        self.kernel = kernel
        self.bias = bias
        self.padding = padding
    }

    /// A kernel of independent draws from a normal of standard deviation `standardDeviation`
    /// truncated at 2σ (TensorFlow's `tf.truncated_normal`), and a zero bias when `bias`.
    public init(
        kernelHeight: Int, kernelWidth: Int, inputChannels: Int, outputChannels: Int, padding: Padding,
        bias: Bool = true, standardDeviation: Scalar, using rng: inout Philox
    ) {
        self.init(
            kernel: .truncatedNormal(shape: [kernelHeight, kernelWidth, inputChannels, outputChannels],
                                     standardDeviation: standardDeviation, using: &rng),
            bias: bias ? Tensor(zeros: [outputChannels]) : nil, padding: padding)
    }

    public var kernelHeight: Int { kernel.shape[0] }
    public var kernelWidth: Int { kernel.shape[1] }
    public var inputChannels: Int { kernel.shape[2] }
    public var outputChannels: Int { kernel.shape[3] }

    /// What the backward pass needs: the input (its patch matrix is rebuilt block by block).
    public struct Cache: Sendable {
        let input: Tensor<Scalar>
        let geometry: ConvolutionGeometry
    }

    /// Whether the forward pass runs the direct loop rather than patch matrix and GEMM: output
    /// rows of at least 8 pixels (half of the loop's 16-wide vectors filled) and at most 16
    /// output channels (a GEMM with so few columns runs far below the machine's rate).
    static func usesDirectLoop(_ g: ConvolutionGeometry, outputChannels: Int) -> Bool {
        g.outputWidth >= 8 && outputChannels <= 16
    }

    func geometry(forInput inputShape: [Int]) -> ConvolutionGeometry {
        precondition(kernel.rank == 4 && (bias == nil || bias!.shape == [outputChannels]),
                     "Conv2D: kernel \(kernel.shape) and bias \(bias?.shape.description ?? "nil") do not fit")
        return ConvolutionGeometry(inputShape: inputShape, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                            channels: inputChannels, padding: padding, layer: "Conv2D")
    }

    // MARK: NeuralLayer

    /// `[kernel]` or `[kernel, bias]`.
    public var parameters: [Tensor<Scalar>] {
        get { bias.map { [kernel, $0] } ?? [kernel] }
        set {
            precondition(newValue.count == parameterKinds.count,
                         "Conv2D: \(newValue.count) tensors for \(parameterKinds.count) parameters")
            precondition(newValue[0].shape == kernel.shape, "Conv2D: kernel \(newValue[0].shape) is not \(kernel.shape)")
            kernel = newValue[0]
            if bias != nil {
                precondition(newValue[1].shape == [outputChannels], "Conv2D: bias \(newValue[1].shape) is not [\(outputChannels)]")
                bias = newValue[1]
            }
        }
    }

    public var parameterKinds: [ParameterKind] { bias == nil ? [.weight] : [.weight, .bias] }

    public func outputShape(forInput inputShape: [Int]) -> [Int] {
        let g = geometry(forInput: inputShape)
        return [g.batch, g.outputHeight, g.outputWidth, outputChannels]
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func forward(_ input: Tensor<Scalar>) -> (output: Tensor<Scalar>, cache: Cache) {
        let g = geometry(forInput: input.shape)
        let rows = g.patchCount, k = g.patchSize, n = outputChannels, pixels = g.outputHeight * g.outputWidth
        var output = Tensor<Scalar>(shape: [g.batch, g.outputHeight, g.outputWidth, n]) { _ in }
        let direct = g.batch > 0 && Self.usesDirectLoop(g, outputChannels: n) && input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                kernel.withUnsafeBufferPointer { w in
                    if let bias {
                        bias.withUnsafeBufferPointer { b in
                            LayerKernels.convolve(x.baseAddress!, g, kernel: w.baseAddress!, outputChannels: n,
                                                  bias: b.baseAddress!, into: y.baseAddress!)
                        }
                    } else {
                        LayerKernels.convolve(x.baseAddress!, g, kernel: w.baseAddress!, outputChannels: n,
                                              bias: nil, into: y.baseAddress!)
                    }
                }
            }
        }
        if !direct && g.batch > 0 {
            let block = g.imagesPerBlock(scalarSize: MemoryLayout<Scalar>.stride)
            let columns = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(Swift.min(block, g.batch) * pixels * k, 1))
            defer { columns.deallocate() }
            input.withUnsafeBufferPointer { x in
                output.withUnsafeMutableBufferPointer { y in
                    if let bias {
                        bias.withUnsafeBufferPointer { b in fillRows(y.baseAddress!, rows: rows, with: b.baseAddress!, columns: n) }
                    }
                    kernel.withUnsafeBufferPointer { w in
                        for start in stride(from: 0, to: g.batch, by: block) {
                            let images = start ..< Swift.min(g.batch, start + block)
                            let first = start * pixels, count = images.count * pixels
                            g.im2col(x.baseAddress!, into: columns, images: images)
                            gemm(transposeA: false, transposeB: false, m: count, n: n, k: k, alpha: 1,
                                 a: columns, lda: k, b: w.baseAddress!, ldb: n,
                                 beta: bias == nil ? 0 : 1, c: y.baseAddress! + first * n, ldc: n)
                        }
                    }
                }
            }
        }
        return (output, Cache(input: input, geometry: g))
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(
        _ outputGradient: Tensor<Scalar>, cache: Cache, needsInputGradient: Bool
    ) -> (input: Tensor<Scalar>?, parameters: [Tensor<Scalar>]) {
        let g = cache.geometry
        let rows = g.patchCount, k = g.patchSize, n = outputChannels, pixels = g.outputHeight * g.outputWidth
        precondition(outputGradient.shape == [g.batch, g.outputHeight, g.outputWidth, n],
                     "Conv2D.backward: output gradient \(outputGradient.shape) is not [\(g.batch), \(g.outputHeight), \(g.outputWidth), \(n)]")
        // The direct loop's shapes: the kernel gradient in C as well (no patch matrix).
        var kernelGradient = Tensor<Scalar>(shape: kernel.shape) { _ in }
        let direct = g.batch > 0 && Self.usesDirectLoop(g, outputChannels: n) && cache.input.withUnsafeBufferPointer { x in
            outputGradient.withUnsafeBufferPointer { dy in
                kernelGradient.withUnsafeMutableBufferPointer { dk in
                    LayerKernels.kernelGradient(x.baseAddress!, g, outputGradient: dy.baseAddress!, outputChannels: n,
                                                into: dk.baseAddress!)
                }
            }
        }
        // Otherwise block by block: the block's patch matrix (rebuilt, in cache) and
        // ∂L/∂Kᵀ += G_blockᵀ·P — OpenBLAS runs this orientation of the tall-and-skinny product up
        // to twice as fast as Pᵀ·G; and, when asked, the block's patch gradient G_block·Kᵀ,
        // scattered back by col2im.
        let block = g.imagesPerBlock(scalarSize: MemoryLayout<Scalar>.stride)
        let blockRows = Swift.max(Swift.min(block, g.batch) * pixels, 1)
        let columns = direct ? nil : UnsafeMutablePointer<Scalar>.allocate(capacity: blockRows * k)
        defer { columns?.deallocate() }
        let transposed = direct ? nil : UnsafeMutablePointer<Scalar>.allocate(capacity: n * k)
        defer { transposed?.deallocate() }
        if g.batch == 0 { transposed?.initialize(repeating: 0, count: n * k) }
        var inputGradient = needsInputGradient ? Tensor<Scalar>(shape: [g.batch, g.height, g.width, g.channels]) { _ in } : nil
        let patchGradient = needsInputGradient ? UnsafeMutablePointer<Scalar>.allocate(capacity: blockRows * k) : nil
        defer { patchGradient?.deallocate() }
        if g.batch > 0 {
            cache.input.withUnsafeBufferPointer { x in
                outputGradient.withUnsafeBufferPointer { dy in
                    kernel.withUnsafeBufferPointer { w in
                        for start in stride(from: 0, to: g.batch, by: block) {
                            let images = start ..< Swift.min(g.batch, start + block)
                            let gradient = dy.baseAddress! + start * pixels * n, count = images.count * pixels
                            if let columns, let transposed {
                                g.im2col(x.baseAddress!, into: columns, images: images)
                                gemm(transposeA: true, transposeB: false, m: n, n: k, k: count, alpha: 1, a: gradient, lda: n,
                                     b: columns, ldb: k, beta: start == 0 ? 0 : 1, c: transposed, ldc: k)
                            }
                            guard let patchGradient else { continue }
                            gemm(transposeA: false, transposeB: true, m: count, n: k, k: n, alpha: 1,
                                 a: gradient, lda: n, b: w.baseAddress!, ldb: n, beta: 0, c: patchGradient, ldc: k)
                            inputGradient!.withUnsafeMutableBufferPointer { dx in
                                g.col2im(patchGradient, into: dx.baseAddress!, images: images)
                            }
                        }
                    }
                }
            }
        }
        if let transposed {
            kernelGradient.withUnsafeMutableBufferPointer { dk in
                transpose(transposed, rows: n, columns: k, into: dk.baseAddress!)
            }
        }
        var gradients = [kernelGradient]
        if bias != nil {
            gradients.append(Tensor<Scalar>(shape: [n]) { db in
                outputGradient.withUnsafeBufferPointer { dy in
                    sumRows(dy.baseAddress!, rows: rows, columns: n, into: db.baseAddress!)
                }
            })
        }
        return (inputGradient, gradients)
    }

    /// Forward `2·B·Ho·Wo·K·cOut` (+ `B·Ho·Wo·cOut` bias adds), kernel gradient
    /// `2·B·Ho·Wo·K·cOut` (the bias gradient's row sums are not counted, as for ``Dense``), input
    /// gradient `2·B·Ho·Wo·K·cOut`, with `K = kh·kw·cIn`. The patch copies are memory movement,
    /// not floating-point work.
    public func flops(inputShape: [Int]) -> LayerFlops {
        let g = geometry(forInput: inputShape)
        let product = 2 * Double(g.patchCount) * Double(g.patchSize) * Double(outputChannels)
        let biasAdds = bias == nil ? 0 : Double(g.patchCount) * Double(outputChannels)
        return LayerFlops(forward: product + biasAdds, parameterGradient: product, inputGradient: product)
    }
}

/// Sets each of the `rows` rows of `matrix` (`rows × columns`, row-major) to `row`.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func fillRows<Scalar: BLASScalar>(
    _ matrix: UnsafeMutablePointer<Scalar>, rows: Int, with row: UnsafePointer<Scalar>, columns: Int
) {
    for r in 0..<rows {
        let destination = matrix + r * columns
        for j in 0..<columns { destination[j] = row[j] }
    }
}

/// `sums[j] = Σ_r matrix[r, j]` for a `rows × columns` row-major matrix, accumulated in
/// `Scalar` within blocks of 64 rows and in `Double` across blocks (so a float32 sum over the
/// 78,400 rows of a LeNet-5 batch keeps about seven digits).
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func sumRows<Scalar: BLASScalar>(
    _ matrix: UnsafePointer<Scalar>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Scalar>
) {
    let block = 64
    var totals = [Double](repeating: 0, count: columns)
    let partial = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(columns, 1))
    defer { partial.deallocate() }
    var start = 0
    while start < rows {
        let end = Swift.min(rows, start + block)
        partial.update(repeating: 0, count: columns)
        for r in start..<end {
            let row = matrix + r * columns
            for j in 0..<columns { partial[j] += row[j] }
        }
        for j in 0..<columns { totals[j] += Double(partial[j]) }
        start = end
    }
    for j in 0..<columns { sums[j] = Scalar(totals[j]) }
}

/// `destination[j, i] = source[i, j]` for a `rows × columns` row-major `source`.
@_specialize(where Scalar == Float)
@_specialize(where Scalar == Double)
func transpose<Scalar: BLASScalar>(
    _ source: UnsafePointer<Scalar>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Scalar>
) {
    for i in 0..<rows {
        for j in 0..<columns { destination[j &* rows &+ i] = source[i &* columns &+ j] }
    }
}
