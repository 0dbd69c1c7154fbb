import CKernels
import TensorCore

/// The C loops of `Sources/CKernels/LayerKernels.c`: ``Conv2D``'s direct convolution (16 output
/// pixels of a row per vector, the image copied into a zero-padded planar buffer first),
/// ``MaxPool2D``'s pooling with the positions of the maxima, and ReLU's backward pass. Each is
/// built for AVX-512, AVX2 and generic x86-64 and picked at load time; all give the same bits.
enum LayerKernels {
    /// `y = x ⋆ kernel + bias` for the images of `g` (NHWC in, NHWC out), summed from the bias
    /// (or zero) up over the taps `(dy, dx, c)` in row-major order.
    ///
    /// - Returns: false when the C loop could not allocate its scratch (nothing written).
    static func convolve<Scalar: BLASScalar>(
        _ x: UnsafePointer<Scalar>, _ g: ConvolutionGeometry, kernel: UnsafePointer<Scalar>, outputChannels: Int,
        bias: UnsafePointer<Scalar>?, into y: UnsafeMutablePointer<Scalar>
    ) -> Bool {
        let status: Int32
        if Scalar.self == Float.self {
            status = tnb_conv2d_forward_f32(
                cast(x), g.batch, g.height, g.width, g.channels, cast(kernel), g.kernelHeight, g.kernelWidth,
                outputChannels, bias.map { cast($0) }, g.padTop, g.padLeft, g.outputHeight, g.outputWidth, cast(y))
        } else {
            precondition(Scalar.self == Double.self, "Conv2D's C loop takes Float or Double, not \(Scalar.self)")
            status = tnb_conv2d_forward_f64(
                cast(x), g.batch, g.height, g.width, g.channels, cast(kernel), g.kernelHeight, g.kernelWidth,
                outputChannels, bias.map { cast($0) }, g.padTop, g.padLeft, g.outputHeight, g.outputWidth, cast(y))
        }
        return status == 0
    }

    /// `dk[dy, dx, c, o] = Σ_{n, oy, ox} x[n, oy + dy − padTop, ox + dx − padLeft, c]·g[n, oy, ox, o]`,
    /// the kernel gradient of ``convolve(_:_:kernel:outputChannels:bias:into:)``'s convolution
    /// (16 partial sums, one per pixel residue mod 16, then added in a fixed tree).
    ///
    /// - Returns: false when the C loop could not allocate its scratch (nothing written).
    static func kernelGradient<Scalar: BLASScalar>(
        _ x: UnsafePointer<Scalar>, _ g: ConvolutionGeometry, outputGradient: UnsafePointer<Scalar>, outputChannels: Int,
        into dk: UnsafeMutablePointer<Scalar>
    ) -> Bool {
        let status: Int32
        if Scalar.self == Float.self {
            status = tnb_conv2d_kernel_gradient_f32(
                cast(x), g.batch, g.height, g.width, g.channels, cast(outputGradient), g.kernelHeight, g.kernelWidth,
                outputChannels, g.padTop, g.padLeft, g.outputHeight, g.outputWidth, cast(dk))
        } else {
            precondition(Scalar.self == Double.self, "Conv2D's C loop takes Float or Double, not \(Scalar.self)")
            status = tnb_conv2d_kernel_gradient_f64(
                cast(x), g.batch, g.height, g.width, g.channels, cast(outputGradient), g.kernelHeight, g.kernelWidth,
                outputChannels, g.padTop, g.padLeft, g.outputHeight, g.outputWidth, cast(dk))
        }
        return status == 0
    }

    /// Max pooling of `x` (`inputShape` `[batch, H, W, C]`) over `ph × pw` windows into `y`,
    /// with the flat input index of each maximum (the first in row-major window order; a NaN
    /// never replaces an earlier maximum).
    static func maxPool<Scalar: BLASScalar>(
        _ x: UnsafePointer<Scalar>, inputShape: [Int], windowHeight ph: Int, windowWidth pw: Int,
        into y: UnsafeMutablePointer<Scalar>, argmax: UnsafeMutablePointer<Int32>
    ) {
        let (batch, height, width, channels) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        if Scalar.self == Float.self {
            tnb_max_pool_f32(cast(x), batch, height, width, channels, ph, pw, cast(y), argmax)
        } else {
            precondition(Scalar.self == Double.self, "MaxPool2D's C loop takes Float or Double, not \(Scalar.self)")
            tnb_max_pool_f64(cast(x), batch, height, width, channels, ph, pw, cast(y), argmax)
        }
    }

    /// `out[i] = g[i]` where `z[i] > 0`, else `+0` (also for a NaN `z`).
    static func reluBackward<Scalar: BLASScalar>(
        _ g: UnsafePointer<Scalar>, preActivation z: UnsafePointer<Scalar>, into out: UnsafeMutablePointer<Scalar>, count: Int
    ) {
        if Scalar.self == Float.self {
            tnb_relu_backward_f32(cast(g), cast(z), cast(out), count)
        } else {
            precondition(Scalar.self == Double.self, "ReLU's C loop takes Float or Double, not \(Scalar.self)")
            tnb_relu_backward_f64(cast(g), cast(z), cast(out), count)
        }
    }

    // Called only with the scalar type the caller has just tested.
    @inline(__always) private static func cast<T, U>(_ p: UnsafePointer<T>) -> UnsafePointer<U> {
        UnsafeRawPointer(p).assumingMemoryBound(to: U.self)
    }
    @inline(__always) private static func cast<T, U>(_ p: UnsafeMutablePointer<T>) -> UnsafeMutablePointer<U> {
        UnsafeMutableRawPointer(p).assumingMemoryBound(to: U.self)
    }
}
