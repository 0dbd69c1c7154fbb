import CKernels
import Testing
import TensorCore
@testable import TensorNetworks

extension Array where Element: BLASScalar {
    /// Every element's sign, exponent and significand fields: equal exactly when the bits are.
    fileprivate var bitPatterns: [[UInt64]] {
        map { [$0.sign == .minus ? 1 : 0, UInt64($0.exponentBitPattern), UInt64($0.significandBitPattern)] }
    }
}

/// The engine's row kernels (`CKernels/RowKernels.c`) against the Swift loops they replaced,
/// written out here as the reference, bit for bit — with the AVX-512 bodies and with the generic
/// ones (where this processor has AVX-512; otherwise the generic ones alone, and the test says so).
/// Widths cover a masked piece alone, whole pieces, and whole pieces plus a masked one.
@Suite(.serialized) struct RowKernelsTests {
    static let widths = [1, 3, 8, 10, 16, 17, 20, 33]

    /// Runs `body` with the generic bodies and, when available, with the AVX-512 ones.
    func withEachBody(_ body: (String) -> Void) {
        let previous = tnb_row_kernels_use_vector(0)
        defer { _ = tnb_row_kernels_use_vector(previous) }
        body("generic")
        if tnb_row_kernels_vector_available() != 0 {
            _ = tnb_row_kernels_use_vector(1)
            body("AVX-512")
        } else {
            print("RowKernelsTests: this processor has no AVX-512F; the AVX-512 bodies were SKIPPED")
        }
    }

    /// Values spread over many binades, both signs, zeros and subnormals among them.
    func values<Scalar: BLASScalar>(_ count: Int, seed: UInt64, spread: Int, _: Scalar.Type) -> [Scalar] {
        var rng = Philox(seed: seed)
        return (0..<count).map { i in
            if i % 11 == 5 { return 0 }
            let exponent = rng.nextInt(below: 2 * spread + 1) - spread
            return Scalar(rng.nextUniform() * 2 - 1) * Scalar(sign: .plus, exponent: Scalar.Exponent(exponent), significand: 1)
        }
    }

    @Test(arguments: widths)
    func outerAndContractionMatchTheSwiftLoops(width: Int) {
        func check<Scalar: BLASScalar>(_: Scalar.Type, body: String) {
            let n = 7, d = 3
            let phi = values(n * d, seed: 1, spread: 3, Scalar.self)
            let rows = values(n * width, seed: 2, spread: 20, Scalar.self)
            let t = values(n * d * width, seed: 3, spread: 20, Scalar.self)
            var outer = [Scalar](repeating: .nan, count: n * d * width)
            var expectedOuter = outer
            for b in 0..<n { for s in 0..<d { for r in 0..<width { expectedOuter[(b * d + s) * width + r] = phi[b * d + s] * rows[b * width + r] } } }
            var contracted = [Scalar](repeating: .nan, count: n * width)
            var expectedContracted = contracted
            for b in 0..<n {
                for r in 0..<width { expectedContracted[b * width + r] = phi[b * d] * t[b * d * width + r] }
                for s in 1..<d { for r in 0..<width { expectedContracted[b * width + r] += phi[b * d + s] * t[(b * d + s) * width + r] } }
            }
            RowKernels.outer(&outer, phi: phi, rows: rows, count: n, physical: d, width: width)
            RowKernels.contractPhysical(t, phi: phi, into: &contracted, count: n, physical: d, width: width)
            #expect(outer.bitPatterns == expectedOuter.bitPatterns, "\(Scalar.self) \(body)")
            #expect(contracted.bitPatterns == expectedContracted.bitPatterns, "\(Scalar.self) \(body)")
        }
        withEachBody { body in
            check(Float.self, body: body)
            check(Double.self, body: body)
        }
    }

    /// The Swift `normalize` the kernel replaced: e of the largest magnitude; rows within 2^±16,
    /// zero rows and rows with a non-finite entry left alone; x·2^⌊−e/2⌋·2^(−e−⌊−e/2⌋).
    func referenceNormalize<Scalar: BLASScalar>(_ row: inout ArraySlice<Scalar>) -> Int {
        var m: Scalar = 0
        for x in row { if abs(x) > m || x.isNaN { m = x.isNaN ? x : abs(x) } }
        guard m > 0, m.isFinite else { return 0 }
        let e = Int(m.exponent)
        if e > -16 && e < 16 { return 0 }
        let k = -e, k1 = k / 2, k2 = k - k1
        let f1 = Scalar(sign: .plus, exponent: Scalar.Exponent(k1), significand: 1)
        let f2 = Scalar(sign: .plus, exponent: Scalar.Exponent(k2), significand: 1)
        for i in row.indices { row[i] = row[i] * f1 * f2 }
        return e
    }

    @Test(arguments: widths)
    func normalizationMatchesTheSwiftLoop(width: Int) {
        func check<Scalar: BLASScalar>(_: Scalar.Type, body: String) {
            let n = 40
            var rows = [Scalar](), expected = [Int](repeating: 5, count: n)
            for b in 0..<n {
                // Each row within its own binade range, from far below 2^-16 (subnormal) to far above 2^16.
                let shift = (b - n / 2) * Int(Scalar.greatestFiniteMagnitude.exponent) / (n / 2)
                rows += values(width, seed: UInt64(b), spread: 2, Scalar.self).map {
                    $0 * Scalar(sign: .plus, exponent: Scalar.Exponent(shift), significand: 1)
                }
            }
            rows[3 * width] = .nan
            rows[4 * width] = -.infinity
            for r in 0..<width { rows[5 * width + r] = 0 }
            var reference = rows
            for b in 0..<n { expected[b] += referenceNormalize(&reference[(b * width)..<((b + 1) * width)]) }
            var exponents = [Int](repeating: 5, count: n)
            RowKernels.normalizeRows(&rows, count: n, width: width, exponents: &exponents)
            #expect(exponents == expected, "\(Scalar.self) \(body)")
            #expect(rows.bitPatterns == reference.bitPatterns, "\(Scalar.self) \(body)")
            #expect(expected.contains { $0 != 5 } && expected.contains(5))
        }
        withEachBody { body in
            check(Float.self, body: body)
            check(Double.self, body: body)
        }
    }

    @Test(arguments: widths)
    func scalingMatchesTheSwiftLoop(width: Int) {
        func check<Scalar: BLASScalar>(_: Scalar.Type, body: String) {
            let n = 9
            let emax = Int(Scalar.greatestFiniteMagnitude.exponent)
            let shifts = [0, -1, -7, -40, -emax, -emax - 30, -2 * emax - 64, -2 * emax - 65, -5 * emax]
            let src = values(n * width, seed: 8, spread: emax / 2, Scalar.self)
            var expected = [Scalar](repeating: .nan, count: n * width)
            for b in 0..<n {
                let k = shifts[b]
                for r in 0..<width {
                    if k < -2 * emax - 64 { expected[b * width + r] = 0; continue }
                    let k1 = k / 2, k2 = k - k1
                    expected[b * width + r] = src[b * width + r] * Scalar(sign: .plus, exponent: Scalar.Exponent(k1), significand: 1)
                        * Scalar(sign: .plus, exponent: Scalar.Exponent(k2), significand: 1)
                }
            }
            var dst = [Scalar](repeating: .nan, count: n * width)
            RowKernels.scaleRows(src, into: &dst, count: n, width: width, shifts: shifts)
            #expect(dst.bitPatterns == expected.bitPatterns, "\(Scalar.self) \(body)")
            var inPlace = src
            inPlace.withUnsafeMutableBufferPointer { p in
                RowKernels.scaleRows(p.baseAddress!, into: p.baseAddress!, count: n, width: width, shifts: shifts)
            }
            #expect(inPlace.bitPatterns == expected.bitPatterns, "\(Scalar.self) \(body) in place")
        }
        withEachBody { body in
            check(Float.self, body: body)
            check(Double.self, body: body)
        }
    }
}
