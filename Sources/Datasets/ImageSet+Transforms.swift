import TensorCore

/// The order in which a 2-D image's pixels become the sites of a 1-D chain (an MPS).
public enum SiteOrder: String, CaseIterable, Sendable, Codable {
    /// Row by row, left to right: site `r·columns + c` is pixel `(r, c)`.
    case rowMajor = "row-major"
    /// Column by column, top to bottom: site `c·rows + r` is pixel `(r, c)`.
    case columnMajor = "column-major"
    /// Boustrophedon: row by row, even rows left to right and odd rows right to left, so that
    /// consecutive sites are always neighbouring pixels.
    case snake

    /// For each site, the row-major pixel index it reads, for an image of `rows × columns`.
    public func pixelIndices(rows: Int, columns: Int) -> [Int] {
        var order: [Int] = []
        order.reserveCapacity(rows * columns)
        switch self {
        case .rowMajor:
            order = Array(0..<(rows * columns))
        case .columnMajor:
            for c in 0..<columns { for r in 0..<rows { order.append(r * columns + c) } }
        case .snake:
            for r in 0..<rows {
                for k in 0..<columns { order.append(r * columns + (r.isMultiple(of: 2) ? k : columns - 1 - k)) }
            }
        }
        return order
    }
}

extension ImageSet {
    /// Mean pooling over non-overlapping `factor × factor` blocks, as Stoudenmire & Schwab do to
    /// shrink MNIST from 28×28 to 14×14 (`factor` 2).
    ///
    /// Output pixel `(i, j)` is the mean of input pixels `(factor·i + a, factor·j + b)`,
    /// `0 ≤ a, b < factor`, so values stay in [0, 1].
    /// - Precondition: `factor ≥ 1` divides both `rows` and `columns`.
    /// - Complexity: O(count · rows · columns).
    public func averagePooled(_ factor: Int) -> ImageSet {
        let scale = 1 / Float(factor * factor)
        return pooled(factor, "averagePooled", start: Float(0), add: { $0 + $1 }, finish: { $0 * scale })
    }

    /// Pooling as the authors' TNML code (Stoudenmire, 2016, `image.h` `reduce`) does it on MNIST's
    /// 8-bit pixels: each `factor × factor` block summed in an 8-bit accumulator, which wraps
    /// modulo 256, then divided by the block's size in integer arithmetic; the result g is
    /// mapped to x = g / 255. For 2×2 blocks x lies in [0, 63/255], and a block of four inked
    /// pixels (4 · 255 = 1020 ≡ 252) pools to 63/255 while three (765 ≡ 253) also give 63/255.
    ///
    /// Each pixel is read back as the 8-bit value p = round(255·x), exact for sets stored as
    /// p / 255 (MNIST, Fashion-MNIST).
    /// - Precondition: `factor ≥ 1` divides both `rows` and `columns`.
    public func wrappingUInt8Pooled(_ factor: Int) -> ImageSet {
        let cells = factor * factor
        return pooled(
            factor, "wrappingUInt8Pooled", start: UInt8(0),
            add: { $0 &+ UInt8(clamping: Int(($1 * 255).rounded())) },
            finish: { Float(Int($0) / cells) / 255 })
    }

    /// Each non-overlapping `factor × factor` block folded into one pixel: `add` takes the block's
    /// pixels row by row from `start`, `finish` turns the total into the pooled value.
    /// - Precondition: `factor ≥ 1` divides both `rows` and `columns`.
    /// - Complexity: O(count · rows · columns).
    @inline(__always)
    private func pooled<Total>(
        _ factor: Int, _ name: String, start: Total, add: (Total, Float) -> Total, finish: (Total) -> Float
    ) -> ImageSet {
        precondition(factor >= 1 && rows % factor == 0 && columns % factor == 0,
                     "\(name)(\(factor)) needs a factor dividing \(rows)×\(columns)")
        let (outRows, outColumns) = (rows / factor, columns / factor)
        let (rows, columns, count) = (self.rows, self.columns, self.count)
        let pooled = Tensor<Float>(shape: [count, outRows, outColumns], unsafeUninitializedCapacity: { out in
            pixels.withUnsafeBufferPointer { source in
                for n in 0..<count {
                    let image = n * rows * columns
                    for i in 0..<outRows {
                        for j in 0..<outColumns {
                            var total = start
                            for a in 0..<factor {
                                let row = image + (factor * i + a) * columns + factor * j
                                for b in 0..<factor { total = add(total, source[row + b]) }
                            }
                            out[(n * outRows + i) * outColumns + j] = finish(total)
                        }
                    }
                }
            }
        })
        return ImageSet(pixels: pooled, labels: labels, classCount: classCount)
    }

    /// The images as rows of sites, `[count, rows·columns]`, with site `s` of image `n` the
    /// pixel that ``SiteOrder/pixelIndices(rows:columns:)`` names.
    public func flattened(order: SiteOrder) -> Tensor<Float> {
        let map = order.pixelIndices(rows: rows, columns: columns)
        let size = rows * columns
        let count = self.count
        return Tensor<Float>(shape: [count, size], unsafeUninitializedCapacity: { out in
            pixels.withUnsafeBufferPointer { source in
                map.withUnsafeBufferPointer { map in
                    for n in 0..<count {
                        for s in 0..<size { out[n * size + s] = source[n * size + map[s]] }
                    }
                }
            }
        })
    }
}
