import TensorCore

/// How a stride-1 convolution treats the border, as TensorFlow names it.
public enum Padding: String, Sendable, Hashable, Codable, CaseIterable {
    /// The output has the input's height and width: a kernel of extent `k` is padded with zeros,
    /// `(k − 1) / 2` rows or columns before and the other `k − 1 − (k − 1) / 2` after (for an
    /// even `k`, one more after than before, as TensorFlow's SAME at stride 1).
    case same
    /// No padding: only windows that lie inside the input, so an extent `n` becomes `n − k + 1`.
    case valid
}

/// The geometry of a stride-1 2-D convolution of a batch of NHWC images, and the two memory
/// movements that turn it into one matrix product.
///
/// The *patch matrix* ("im2col") of a batch `x: [batch, H, W, C]` has one row per output pixel,
/// `(b, oy, ox)` in row-major order, and one column per kernel tap, `(dy, dx, c)` in row-major
/// order:
///
///     cols[(b·Ho + oy)·Wo + ox, (dy·kw + dx)·C + c] = x[b, oy + dy − padTop, ox + dx − padLeft, c]
///
/// (zero where the input index is outside the image). Its column order is the row order of an
/// HWIO kernel `[kh, kw, C, cOut]` reshaped to `[kh·kw·C, cOut]`, so `cols · kernel` is the
/// convolution's output `[batch·Ho·Wo, cOut]`, which is already NHWC. For one output pixel and
/// one `dy`, the taps `(dx, c)` that fall inside the image are one contiguous run of the input
/// row, so both movements copy runs rather than single elements.
struct ConvolutionGeometry: Sendable, Hashable {
    let batch: Int
    let height: Int
    let width: Int
    let channels: Int
    let kernelHeight: Int
    let kernelWidth: Int
    /// Zero rows above the image (the rest of the padding is below).
    let padTop: Int
    /// Zero columns left of the image.
    let padLeft: Int
    let outputHeight: Int
    let outputWidth: Int

    /// - Precondition: `inputShape` is `[batch, H, W, C]` with `C == channels` and, for VALID,
    ///   the kernel fits inside the image.
    init(inputShape: [Int], kernelHeight: Int, kernelWidth: Int, channels: Int, padding: Padding,
         layer: String = "convolution") {
        precondition(inputShape.count == 4 && inputShape[3] == channels,
                     "\(layer): input \(inputShape) is not [batch, height, width, \(channels)] (NHWC)")
        precondition(kernelHeight >= 1 && kernelWidth >= 1,
                     "\(layer): kernel \(kernelHeight)×\(kernelWidth) must be at least 1×1")
        batch = inputShape[0]
        height = inputShape[1]
        width = inputShape[2]
        self.channels = channels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        switch padding {
        case .same:
            padTop = (kernelHeight - 1) / 2
            padLeft = (kernelWidth - 1) / 2
            outputHeight = height
            outputWidth = width
        case .valid:
            precondition(height >= kernelHeight && width >= kernelWidth,
                         "\(layer): a \(kernelHeight)×\(kernelWidth) VALID kernel does not fit the input \(inputShape)")
            padTop = 0
            padLeft = 0
            outputHeight = height - kernelHeight + 1
            outputWidth = width - kernelWidth + 1
        }
    }

    /// `kh·kw·C`: the columns of the patch matrix (the rows of the kernel matrix).
    var patchSize: Int { kernelHeight * kernelWidth * channels }
    /// `batch·Ho·Wo`: the rows of the patch matrix.
    var patchCount: Int { batch * outputHeight * outputWidth }
    var inputCount: Int { batch * height * width * channels }

    /// How many images' patch rows make a block of about `bytes` (at least one image): the unit
    /// in which the layer interleaves patch copies with GEMMs, so that each block of the patch
    /// matrix is still in cache when the GEMM reads it (256 KiB: within a core's L2).
    func imagesPerBlock(scalarSize: Int, bytes: Int = 256 * 1024) -> Int {
        Swift.max(1, bytes / Swift.max(1, outputHeight * outputWidth * patchSize * scalarSize))
    }

    /// The range of `dy` whose input row `oy + dy − padTop` lies inside the image.
    @inline(__always) private func tapRows(outputRow oy: Int) -> (low: Int, high: Int) {
        let first = oy - padTop
        return (Swift.max(0, -first), Swift.min(kernelHeight, height - first))
    }

    /// The range of `dx` whose input column `ox + dx − padLeft` lies inside the image.
    @inline(__always) private func tapColumns(outputColumn ox: Int) -> (low: Int, high: Int) {
        let first = ox - padLeft
        return (Swift.max(0, -first), Swift.min(kernelWidth, width - first))
    }

    /// Writes the rows of the patch matrix of `input` (the whole batch, `inputCount` scalars,
    /// NHWC) that belong to the images `images` into `columns` (`images.count·Ho·Wo × patchSize`
    /// scalars, every one of them written).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func im2col<Scalar: BLASScalar>(
        _ input: UnsafePointer<Scalar>, into columns: UnsafeMutablePointer<Scalar>, images: Range<Int>
    ) {
        precondition(images.lowerBound >= 0 && images.upperBound <= batch, "im2col: images \(images) of a batch of \(batch)")
        let size = MemoryLayout<Scalar>.stride
        let run = kernelWidth &* channels, runBytes = run &* size, rowBytes = width &* channels &* size
        let source = UnsafeRawPointer(input), start = UnsafeMutableRawPointer(columns)
        var destination = start
        for b in images {
            for oy in 0..<outputHeight {
                let (dyLow, dyHigh) = tapRows(outputRow: oy)
                let firstRow = source + ((b &* height &+ oy &+ dyLow &- padTop) &* rowBytes)
                for ox in 0..<outputWidth {
                    let (low, high) = tapColumns(outputColumn: ox)
                    let (before, inside) = (low &* channels &* size, (high &- low) &* channels &* size)
                    let after = runBytes &- before &- inside
                    if dyLow > 0 { zeroBytes(destination, dyLow &* runBytes) }
                    var from = firstRow + ((ox &- padLeft &+ low) &* channels &* size)
                    var tap = destination + dyLow &* runBytes
                    for _ in dyLow..<dyHigh {
                        if before > 0 { zeroBytes(tap, before) }
                        copyBytes(from, tap + before, inside)
                        if after > 0 { zeroBytes(tap + (before &+ inside), after) }
                        from += rowBytes
                        tap += runBytes
                    }
                    if dyHigh < kernelHeight { zeroBytes(tap, (kernelHeight &- dyHigh) &* runBytes) }
                    destination += kernelHeight &* runBytes
                }
            }
        }
    }

    /// The adjoint of ``im2col(_:into:images:)``: sets the images `images` of `input` (the whole
    /// batch, `inputCount` scalars, NHWC) to the sum, over every entry of `columns` (the patch
    /// rows of those images), of that entry at the input position it was copied from (padding
    /// entries are dropped). The other images of `input` are not touched.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func col2im<Scalar: BLASScalar>(
        _ columns: UnsafePointer<Scalar>, into input: UnsafeMutablePointer<Scalar>, images: Range<Int>
    ) {
        precondition(images.lowerBound >= 0 && images.upperBound <= batch, "col2im: images \(images) of a batch of \(batch)")
        let imageSize = height &* width &* channels
        (input + images.lowerBound &* imageSize).update(repeating: 0, count: images.count &* imageSize)
        let c = channels, run = kernelWidth &* c, rowLength = width &* c, k = patchSize
        var source = columns
        for b in images {
            for oy in 0..<outputHeight {
                let (dyLow, dyHigh) = tapRows(outputRow: oy)
                let firstRow = input + ((b &* height &+ oy &+ dyLow &- padTop) &* rowLength)
                for ox in 0..<outputWidth {
                    let (low, high) = tapColumns(outputColumn: ox)
                    let count = (high &- low) &* c
                    var to = firstRow + ((ox &- padLeft &+ low) &* c)
                    var from = source + (dyLow &* run &+ low &* c)
                    for _ in dyLow..<dyHigh {
                        addRun(from: from, to: to, count: count)
                        to += rowLength
                        from += run
                    }
                    source += k
                }
            }
        }
    }
}

// The runs are short (5 to 80 scalars for LeNet-5), where a `memcpy` or `memset` call or a
// vectorized loop's set-up costs more than the work, so the copies below move 16-byte blocks
// with an overlapping last block, as the small-size paths of a C library's `memcpy` do.

/// Copies `count` bytes (a multiple of 4) between non-overlapping buffers.
@inline(__always)
private func copyBytes(_ source: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer, _ count: Int) {
    typealias Block = SIMD2<UInt64>
    if count >= 16 {
        var offset = 0
        let last = count &- 16
        while offset < last {
            destination.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: Block.self), toByteOffset: offset, as: Block.self)
            offset &+= 16
        }
        destination.storeBytes(of: source.loadUnaligned(fromByteOffset: last, as: Block.self), toByteOffset: last, as: Block.self)
    } else if count >= 8 {
        let head = source.loadUnaligned(as: UInt64.self), tail = source.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self)
        destination.storeBytes(of: head, as: UInt64.self)
        destination.storeBytes(of: tail, toByteOffset: count &- 8, as: UInt64.self)
    } else if count >= 4 {
        let head = source.loadUnaligned(as: UInt32.self), tail = source.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self)
        destination.storeBytes(of: head, as: UInt32.self)
        destination.storeBytes(of: tail, toByteOffset: count &- 4, as: UInt32.self)
    }
}

/// Sets `count` bytes (a multiple of 4) to zero.
@inline(__always)
private func zeroBytes(_ destination: UnsafeMutableRawPointer, _ count: Int) {
    typealias Block = SIMD2<UInt64>
    if count >= 16 {
        var offset = 0
        let last = count &- 16
        while offset < last {
            destination.storeBytes(of: Block(), toByteOffset: offset, as: Block.self)
            offset &+= 16
        }
        destination.storeBytes(of: Block(), toByteOffset: last, as: Block.self)
    } else if count >= 8 {
        destination.storeBytes(of: 0, as: UInt64.self)
        destination.storeBytes(of: 0, toByteOffset: count &- 8, as: UInt64.self)
    } else if count >= 4 {
        destination.storeBytes(of: 0, as: UInt32.self)
        destination.storeBytes(of: 0, toByteOffset: count &- 4, as: UInt32.self)
    }
}

/// `destination[0..<count] += source[0..<count]` in 16-byte vectors for Float and Double (the
/// type test folds away in the specialized code), elementwise otherwise.
@inline(__always)
private func addRun<Scalar: BLASScalar>(from source: UnsafePointer<Scalar>, to destination: UnsafeMutablePointer<Scalar>, count: Int) {
    if Scalar.self == Float.self {
        addRun(UnsafeRawPointer(source), UnsafeMutableRawPointer(destination), count: count, as: SIMD4<Float>.self)
    } else if Scalar.self == Double.self {
        addRun(UnsafeRawPointer(source), UnsafeMutableRawPointer(destination), count: count, as: SIMD2<Double>.self)
    } else {
        for j in 0..<count { destination[j] += source[j] }
    }
}

@inline(__always)
private func addRun<Vector: SIMD>(
    _ source: UnsafeRawPointer, _ destination: UnsafeMutableRawPointer, count: Int, as _: Vector.Type
) where Vector.Scalar: BinaryFloatingPoint {
    let width = Vector.scalarCount, size = MemoryLayout<Vector.Scalar>.stride
    var j = 0
    while j &+ width <= count {
        let offset = j &* size
        let sum = destination.loadUnaligned(fromByteOffset: offset, as: Vector.self) + source.loadUnaligned(fromByteOffset: offset, as: Vector.self)
        destination.storeBytes(of: sum, toByteOffset: offset, as: Vector.self)
        j &+= width
    }
    let to = destination.assumingMemoryBound(to: Vector.Scalar.self), from = source.assumingMemoryBound(to: Vector.Scalar.self)
    while j < count {
        to[j] += from[j]
        j &+= 1
    }
}
