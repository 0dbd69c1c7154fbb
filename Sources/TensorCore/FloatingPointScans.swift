/// A whole-buffer scan written so that the compiler turns it into vector code: a loop of
/// `isFinite` tests with an early exit stays one scalar at a time.

/// Whether every one of the `count` scalars at `x` is finite (no NaN, no ±∞).
///
/// x − x is 0 for a finite x and NaN otherwise; eight partial sums of it (no early exit, no
/// branch) vectorize, and NaN survives every sum. ``Tensor/isFinite`` is this over a tensor.
@inlinable public func allFinite<Scalar: BLASScalar>(_ x: UnsafePointer<Scalar>, count: Int) -> Bool {
    var (s0, s1, s2, s3, s4, s5, s6, s7) = (Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0), Scalar(0))
    var i = 0
    while i &+ 8 <= count {
        s0 += x[i] - x[i]; s1 += x[i &+ 1] - x[i &+ 1]; s2 += x[i &+ 2] - x[i &+ 2]; s3 += x[i &+ 3] - x[i &+ 3]
        s4 += x[i &+ 4] - x[i &+ 4]; s5 += x[i &+ 5] - x[i &+ 5]; s6 += x[i &+ 6] - x[i &+ 6]; s7 += x[i &+ 7] - x[i &+ 7]
        i &+= 8
    }
    while i < count { s0 += x[i] - x[i]; i &+= 1 }
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)) == 0
}
